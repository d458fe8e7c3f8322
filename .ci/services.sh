#!/usr/bin/env bash
# Installs (Debian packages, as root) and starts every server the tests use,
# on loopback: Redis (one server, a 3-master Cluster, a Sentinel), a Samba AD domain controller, OpenLDAP slapd with
# ppolicy; and installs the checkers promtool and rsyslogd. Idempotent: what
# is installed and provisioned is reused. The two directories are then restored from their clean snapshots (about 2 s), so
# every test run starts from the same domain whatever the last run left.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS=0
bash ./redis.sh
bash ./redis-cluster.sh
bash ./redis-sentinel.sh
bash ./samba.sh
bash ./slapd.sh
bash ./tools.sh
bash ./samba.sh --reset
bash ./slapd.sh --reset
echo "services.sh: all test servers up, directories clean, after ${SECONDS}s"
