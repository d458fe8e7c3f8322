#!/usr/bin/env bash
# Starts the throwaway Sentinel setup the Sentinel tests use: a master on
# 127.0.0.1:6391 and one Sentinel on 127.0.0.1:26391 that knows it as
# "unlockbot-lab" (quorum 1, no replicas, so it never fails over), under
# /tmp/unlockbot-redis-sentinel. Safe to run again: what answers is kept.
set -euo pipefail

readonly MASTER=6391 SENTINEL=26391 NAME=unlockbot-lab
readonly ROOT=/tmp/unlockbot-redis-sentinel
readonly APTLOG=/tmp/unlockbot-redis-apt.log
APT_NAME=redis-sentinel.sh
# shellcheck source=apt-lib.sh
source "$(dirname "$0")/apt-lib.sh"

did=()

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }
pong() { [[ $(cli "$1" ping) == PONG ]]; }
# knows: the Sentinel names our master at our port.
knows() { [[ $(cli "$SENTINEL" sentinel get-master-addr-by-name "$NAME" | tail -n 1) == "$MASTER" ]]; }

# detached runs redis-server without our descriptors above 2 (see redis.sh).
detached() {
	(
		for fd in $(ls "/proc/$BASHPID/fd"); do
			((fd > 2)) && eval "exec $fd>&-"
		done 2>/dev/null
		exec redis-server "$@"
	)
}

wait_until() {
	local what=$1
	shift
	for _ in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	echo "redis-sentinel.sh: $what did not happen within 5s (logs: $ROOT/*.log)" >&2
	tail -n 5 "$ROOT"/*.log >&2 || true
	exit 1
}

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	apt_install redis-server
	did+=("installed redis-server")
fi
mkdir -p "$ROOT"

if ! pong "$MASTER"; then
	detached --port "$MASTER" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
		--dir "$ROOT" --pidfile "$ROOT/master.pid" --logfile "$ROOT/master.log"
	wait_until "master $MASTER answering" pong "$MASTER"
	did+=("started master $MASTER")
fi

if ! pong "$SENTINEL"; then
	# Sentinel rewrites its config file, so each start writes a fresh one.
	printf '%s\n' "port $SENTINEL" "bind 127.0.0.1" "daemonize yes" "dir $ROOT" \
		"pidfile $ROOT/sentinel.pid" "logfile $ROOT/sentinel.log" \
		"sentinel monitor $NAME 127.0.0.1 $MASTER 1" >"$ROOT/sentinel.conf"
	detached "$ROOT/sentinel.conf" --sentinel
	wait_until "sentinel $SENTINEL answering" pong "$SENTINEL"
	did+=("started sentinel $SENTINEL")
fi
wait_until "sentinel naming $NAME at $MASTER" knows

((${#did[@]})) || did=("already running")
line=${did[0]}
for d in "${did[@]:1}"; do line+="; $d"; done
echo "redis-sentinel.sh: $line; master $NAME on 127.0.0.1:$MASTER via sentinel 127.0.0.1:$SENTINEL"
