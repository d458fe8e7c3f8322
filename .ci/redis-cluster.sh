#!/usr/bin/env bash
# Starts the throwaway Redis Cluster the cluster tests use: three masters on
# 127.0.0.1:7101-7103, no replicas, no persistence, each node in its own
# folder under /tmp/unlockbot-redis-cluster. Safe to run again: a cluster
# whose `cluster info` says cluster_state:ok is left alone; nodes that are
# down are started; a cluster that never formed (or lost its slots) is
# wiped and created again, which takes about a second.
set -euo pipefail

readonly PORTS=(7101 7102 7103)
readonly ROOT=/tmp/unlockbot-redis-cluster
APT_NAME=redis-cluster.sh
LOGS="$ROOT/*/redis.log"
# shellcheck source=redis-lib.sh
source "$(dirname "$0")/redis-lib.sh"

node_ok() { cli "$1" cluster info | tr -d '\r' | grep -qx 'cluster_state:ok'; }
# healthy: every node answers and sees the cluster whole (one node's view
# stays "ok" for the node timeout after another died).
healthy() {
	local p
	for p in "${PORTS[@]}"; do node_ok "$p" || return 1; done
}

start_node() {
	local port=$1 dir=$ROOT/$1
	mkdir -p "$dir"
	detached --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
		--daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
}

ensure_redis

if healthy; then
	echo "redis-cluster.sh: cluster already ok on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}"
	exit 0
fi

for p in "${PORTS[@]}"; do
	if ! pong "$p"; then
		start_node "$p"
		wait_until "node $p answering" pong "$p"
		did+=("started node $p")
	fi
done

# Restarted nodes keep nodes.conf and rejoin on their own: give them the
# node timeout to agree before creating anew.
if ((${#did[@]} > 0)) && [[ $(cli "${PORTS[0]}" cluster info | tr -d '\r' | grep cluster_known_nodes) == cluster_known_nodes:3 ]]; then
	for _ in $(seq 60); do
		healthy && break
		sleep 0.1
	done
fi

if ! healthy; then
	# Never formed, or formed wrongly: empty every node and start over.
	for p in "${PORTS[@]}"; do
		cli "$p" flushall >/dev/null || true
		cli "$p" cluster reset hard >/dev/null
	done
	addrs=()
	for p in "${PORTS[@]}"; do addrs+=("127.0.0.1:$p"); done
	if ! out=$(redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes 2>&1); then
		echo "$out" | tail -n 20 >&2
		echo "redis-cluster.sh: redis-cli --cluster create failed" >&2
		exit 1
	fi
	wait_until "cluster_state:ok" healthy
	did+=("created the cluster")
fi

((${#did[@]})) || did=("nodes agreed again")
report "cluster ok on 127.0.0.1:${PORTS[0]}-${PORTS[-1]}"
