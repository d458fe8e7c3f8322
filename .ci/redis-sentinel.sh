#!/usr/bin/env bash
# Starts the throwaway Sentinel setup the Sentinel tests use: a master on
# 127.0.0.1:6391 and one Sentinel on 127.0.0.1:26391 that knows it as
# "unlockbot-lab" (quorum 1, no replicas, so it never fails over), under
# /tmp/unlockbot-redis-sentinel. Safe to run again: what answers is kept.
set -euo pipefail

readonly MASTER=6391 SENTINEL=26391 NAME=unlockbot-lab
readonly ROOT=/tmp/unlockbot-redis-sentinel
APT_NAME=redis-sentinel.sh
LOGS="$ROOT/*.log"
# shellcheck source=redis-lib.sh
source "$(dirname "$0")/redis-lib.sh"

# knows: the Sentinel names our master at our port.
knows() { [[ $(cli "$SENTINEL" sentinel get-master-addr-by-name "$NAME" | tail -n 1) == "$MASTER" ]]; }

ensure_redis
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

report "master $NAME on 127.0.0.1:$MASTER via sentinel 127.0.0.1:$SENTINEL"
