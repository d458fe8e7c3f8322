# Shared by .ci/redis.sh and .ci/tools.sh (sourced, not run): install
# Debian packages as root without letting their services start, so a
# package's own daemon never takes a port or a lock the lab uses.
# The caller sets APT_NAME (its script name, for messages) and APTLOG.

readonly APT_POLICY=/usr/sbin/policy-rc.d

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "$APT_NAME: need root (or sudo) to install packages" >&2
		exit 1
	fi
}

# restore_policy puts back whatever policy-rc.d was there before install.
restore_policy() {
	if [[ -e $APT_POLICY.unlockbot-saved ]]; then
		as_root mv -f "$APT_POLICY.unlockbot-saved" "$APT_POLICY"
	else
		as_root rm -f "$APT_POLICY"
	fi
}

# apt_install PKG... installs with services held down (policy-rc.d exit
# 101 tells invoke-rc.d not to start them), then restores the policy.
apt_install() {
	if [[ -e $APT_POLICY ]]; then
		as_root cp -p "$APT_POLICY" "$APT_POLICY.unlockbot-saved"
	fi
	trap restore_policy EXIT
	printf '#!/bin/sh\nexit 101\n' | as_root tee "$APT_POLICY" >/dev/null
	as_root chmod 755 "$APT_POLICY"
	if ! {
		as_root apt-get update -q &&
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
	} >"$APTLOG" 2>&1; then
		tail -n 20 "$APTLOG" >&2
		echo "$APT_NAME: installing $* failed (log: $APTLOG)" >&2
		exit 1
	fi
	restore_policy
	trap - EXIT
}
