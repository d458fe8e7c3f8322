#!/usr/bin/env bash
# Starts the throwaway Redis the store tests use: 127.0.0.1:6390, no
# persistence. Safe to run again: it installs Redis only if missing (Debian
# package, no service autostart) and starts it only if nothing answers.
set -euo pipefail

readonly PORT=6390
readonly PIDFILE=/tmp/unlockbot-redis-${PORT}.pid
readonly LOGFILE=/tmp/unlockbot-redis-${PORT}.log
readonly APTLOG=/tmp/unlockbot-redis-apt.log
readonly POLICY=/usr/sbin/policy-rc.d

did=()

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "redis.sh: need root (or sudo) to install redis-server" >&2
		exit 1
	fi
}

# restore_policy puts back whatever policy-rc.d was there before install.
restore_policy() {
	if [[ -e $POLICY.unlockbot-saved ]]; then
		as_root mv -f "$POLICY.unlockbot-saved" "$POLICY"
	else
		as_root rm -f "$POLICY"
	fi
}

install_redis() {
	# Exit code 101 tells invoke-rc.d not to start services, so the package's
	# own redis on port 6379 stays down (containers have no init anyway).
	if [[ -e $POLICY ]]; then
		as_root cp -p "$POLICY" "$POLICY.unlockbot-saved"
	fi
	trap restore_policy EXIT
	printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
	as_root chmod 755 "$POLICY"

	if ! {
		as_root apt-get update -q &&
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends redis-server # pulls in redis-tools (redis-cli)
	} >"$APTLOG" 2>&1; then
		tail -n 20 "$APTLOG" >&2
		echo "redis.sh: installing redis-server failed (log: $APTLOG)" >&2
		exit 1
	fi
	restore_policy
	trap - EXIT
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
