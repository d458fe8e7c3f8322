# Shared by .ci/redis-cluster.sh and .ci/redis-sentinel.sh (sourced, not
# run). The caller sets APT_NAME (its script name), LOGS (a glob of its
# logs, for failures) and collects what it did in the array did.

readonly APTLOG=/tmp/unlockbot-redis-apt.log
# shellcheck source=apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"

did=()

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }
pong() { [[ $(cli "$1" ping) == PONG ]]; }

# ensure_redis installs Debian's redis-server (with redis-cli) if missing.
ensure_redis() {
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		apt_install redis-server
		did+=("installed redis-server")
	fi
}

# detached runs redis-server ARGS... without our descriptors above 2: a
# caller holding the lab lock on one (`flock LOCK .ci/services.sh`) must not
# pass it to a daemon, which would hold the lock for as long as it runs.
detached() {
	(
		for fd in $(ls "/proc/$BASHPID/fd"); do
			((fd > 2)) && eval "exec $fd>&-"
		done 2>/dev/null
		exec redis-server "$@"
	)
}

# wait_until WHAT CMD... polls CMD for up to 10 s, else fails naming WHAT.
wait_until() {
	local what=$1
	shift
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	echo "$APT_NAME: $what did not happen within 10s (logs: $LOGS)" >&2
	# shellcheck disable=SC2086
	tail -n 5 $LOGS >&2 || true
	exit 1
}

# report prints what was done, then $1 (where it is ready).
report() {
	((${#did[@]})) || did=("already running")
	local line=${did[0]} d
	for d in "${did[@]:1}"; do line+="; $d"; done
	echo "$APT_NAME: $line; $1"
}
