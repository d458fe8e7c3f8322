#!/usr/bin/env bash
# Installs (Debian packages, as root) and starts every server the tests use,
# on loopback: Redis, a Samba AD domain controller, OpenLDAP slapd with
# ppolicy. Idempotent: what already runs is left alone. `make test` calls it.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS=0
bash ./redis.sh
bash ./samba.sh
bash ./slapd.sh
echo "services.sh: all test servers up after ${SECONDS}s"
