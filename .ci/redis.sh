#!/usr/bin/env bash
# Starts the throwaway Redis the store tests use: 127.0.0.1:6390, no
# persistence. Safe to run again: it installs Redis only if missing (Debian
# package, no service autostart) and starts it only if nothing answers.
set -euo pipefail

readonly PORT=6390
readonly PIDFILE=/tmp/unlockbot-redis-${PORT}.pid
readonly LOGFILE=/tmp/unlockbot-redis-${PORT}.log
readonly APTLOG=/tmp/unlockbot-redis-apt.log
APT_NAME=redis.sh
# shellcheck source=apt-lib.sh
source "$(dirname "$0")/apt-lib.sh"

did=()

install_redis() {
	# The package's own redis on port 6379 stays down (containers have no
	# init anyway); redis-server pulls in redis-tools (redis-cli).
	apt_install redis-server
	did+=("installed redis-server $(redis-server --version | awk '{print $3}')")
}

pong() {
	[[ $(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null) == PONG ]]
}

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	install_redis
fi

if pong; then
	did+=("redis already answering on 127.0.0.1:$PORT")
else
	# Without our descriptors above 2: a caller running `flock LOCKFILE
	# .ci/services.sh` holds the lab lock on one, and a daemon that kept it
	# would hold the lock for as long as Redis runs.
	(
		for fd in $(ls "/proc/$BASHPID/fd"); do
			((fd > 2)) && eval "exec $fd>&-"
		done 2>/dev/null
		exec redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
			--daemonize yes --dir /tmp --pidfile "$PIDFILE" --logfile "$LOGFILE"
	)
	for _ in $(seq 50); do
		pong && break
		sleep 0.1
	done
	if ! pong; then
		tail -n 20 "$LOGFILE" >&2 || true
		echo "redis.sh: redis on 127.0.0.1:$PORT did not answer within 5s (log: $LOGFILE)" >&2
		exit 1
	fi
	did+=("started redis on 127.0.0.1:$PORT (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))")
fi

line=${did[0]}
for d in "${did[@]:1}"; do line+="; $d"; done
echo "redis.sh: $line"
