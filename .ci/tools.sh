#!/usr/bin/env bash
# Installs the tools tests check our output with, when missing: promtool
# (Debian package prometheus) lints a /metrics scrape, rsyslogd (rsyslog)
# reads our RFC 5424 frames as a SIEM's relay would. Idempotent; neither
# package's own service is started.
set -euo pipefail

readonly APTLOG=/tmp/unlockbot-tools-apt.log
readonly POLICY=/usr/sbin/policy-rc.d

pkgs=()
command -v promtool >/dev/null || pkgs+=(prometheus)
command -v rsyslogd >/dev/null || [[ -x /usr/sbin/rsyslogd ]] || pkgs+=(rsyslog)
if [[ ${#pkgs[@]} -eq 0 ]]; then
	echo "tools.sh: promtool and rsyslogd already installed"
	exit 0
fi

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "tools.sh: need root (or sudo) to install ${pkgs[*]}" >&2
		exit 1
	fi
}

restore_policy() {
	if [[ -e $POLICY.unlockbot-saved ]]; then
		as_root mv -f "$POLICY.unlockbot-saved" "$POLICY"
	else
		as_root rm -f "$POLICY"
	fi
}

# Exit code 101 tells invoke-rc.d not to start services: the package's
# Prometheus server, node exporter and rsyslog stay down.
if [[ -e $POLICY ]]; then
	as_root cp -p "$POLICY" "$POLICY.unlockbot-saved"
fi
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
as_root chmod 755 "$POLICY"

if ! {
	as_root apt-get update -q &&
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${pkgs[@]}"
} >"$APTLOG" 2>&1; then
	tail -n 20 "$APTLOG" >&2
	echo "tools.sh: installing ${pkgs[*]} failed (log: $APTLOG)" >&2
	exit 1
fi
echo "tools.sh: installed ${pkgs[*]}"
