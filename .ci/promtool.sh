#!/usr/bin/env bash
# Installs promtool (Debian package prometheus) if it is missing, so the
# bot/metrics test can lint a /metrics scrape with `promtool check metrics`.
# Idempotent; the package's own Prometheus server is never started.
set -euo pipefail

readonly APTLOG=/tmp/unlockbot-promtool-apt.log
readonly POLICY=/usr/sbin/policy-rc.d

if command -v promtool >/dev/null; then
	echo "promtool.sh: promtool already installed ($(promtool --version 2>&1 | head -n 1))"
	exit 0
fi

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "promtool.sh: need root (or sudo) to install prometheus" >&2
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
# Prometheus server and node exporter stay down.
if [[ -e $POLICY ]]; then
	as_root cp -p "$POLICY" "$POLICY.unlockbot-saved"
fi
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
as_root chmod 755 "$POLICY"

if ! {
	as_root apt-get update -q &&
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends prometheus
} >"$APTLOG" 2>&1; then
	tail -n 20 "$APTLOG" >&2
	echo "promtool.sh: installing prometheus failed (log: $APTLOG)" >&2
	exit 1
fi
echo "promtool.sh: installed $(promtool --version 2>&1 | head -n 1)"
