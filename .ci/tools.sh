#!/usr/bin/env bash
# Installs the tools tests check our output with, when missing: promtool
# (Debian package prometheus) lints a /metrics scrape, rsyslogd (rsyslog)
# reads our RFC 5424 frames as a SIEM's relay would. Idempotent; neither
# package's own service is started.
set -euo pipefail

readonly APTLOG=/tmp/unlockbot-tools-apt.log
APT_NAME=tools.sh
# shellcheck source=apt-lib.sh
source "$(dirname "$0")/apt-lib.sh"

pkgs=()
command -v promtool >/dev/null || pkgs+=(prometheus)
command -v rsyslogd >/dev/null || [[ -x /usr/sbin/rsyslogd ]] || pkgs+=(rsyslog)
if [[ ${#pkgs[@]} -eq 0 ]]; then
	echo "tools.sh: promtool and rsyslogd already installed"
	exit 0
fi
# Neither the Prometheus server, its node exporter nor rsyslog is started.
apt_install "${pkgs[@]}"
echo "tools.sh: installed ${pkgs[*]}"
