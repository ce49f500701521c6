# Sourced by loadtest/bench.sh for `bench.sh cluster` (BENCHMARKS.md "Several nodes on Redis"): its own redis-server
# on a free loopback port, three release `rally` nodes on it (RALLY_THREADS=1, node ids b1…b3, one JWT secret) and a
# fourth node alone (no Redis, RALLY_THREADS=1) for the single-node comparison; every scenario $RUNS times (default 3).
# Needs from bench.sh: $RALLY, $LT, $OUT, $secret, $service. Ports: RALLY_BENCH_CLUSTER_PORT (4301…4304).
# Sizes (defaults as in BENCHMARKS.md): CLUSTER_SUBSCRIBERS (1000), CLUSTER_MESSAGES (3000, throughput runs),
# CLUSTER_ONE_MESSAGES (2000, one-at-a-time runs), CLUSTER_LATENCY_MESSAGES (1000 at 100 msg/s),
# CLUSTER_BIG_SUBSCRIBERS (10000, the large-topic runs at 5 msg/s).

cluster_port=${RALLY_BENCH_CLUSTER_PORT:-4301}
cluster_pids=()
cluster_redis_pid=""

cluster_stop() {
  local pid
  for pid in "${cluster_pids[@]}" $cluster_redis_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in "${cluster_pids[@]}" $cluster_redis_pid; do wait "$pid" 2>/dev/null || true; done
  cluster_pids=()
  cluster_redis_pid=""
}

cluster_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (bounded) until GET /readyz answers 200: with a Redis URL that includes the bus being up.
cluster_wait_ready() {  # cluster_wait_ready <port> <log>
  local _
  for _ in $(seq 400); do
    curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "cluster: node on port $1 not ready; log:" >&2; tail -20 "$2" >&2; exit 1
}

cluster_node() {  # cluster_node <port> <log> [VAR=value…]: one release node with the load-test limits
  local port=$1 log=$2; shift 2
  env "$@" RALLY_THREADS=1 RALLY_MAX_CONNECTIONS_PER_IP=1000000 RALLY_MESSAGES_PER_SECOND=1000000 \
    RALLY_MESSAGE_BURST=1000000 RALLY_JOINS_PER_SECOND=1000 RALLY_MAX_OUTBOUND_BYTES=16777216 \
    "$RALLY" serve --port "$port" --mode production --jwt-secret "$secret" > "$log" 2>&1 &
  cluster_pids+=($!)
}

cluster_start() {
  local redis_port; redis_port=$(cluster_free_port)
  mkdir -p "$OUT/redis"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$OUT/redis" \
    > "$OUT/redis.log" 2>&1 &
  cluster_redis_pid=$!
  for _ in $(seq 200); do [[ $(redis-cli -p "$redis_port" PING 2>/dev/null) == PONG ]] && break; sleep 0.05; done
  redis_url="redis://127.0.0.1:$redis_port"
  local i
  for i in 1 2 3; do
    cluster_node $((cluster_port + i - 1)) "$OUT/node$i.log" RALLY_REDIS_URL="$redis_url" RALLY_NODE_ID="b$i"
  done
  cluster_node $((cluster_port + 3)) "$OUT/alone.log"
  for i in 1 2 3 4; do cluster_wait_ready $((cluster_port + i - 1)) "$OUT/node$i.log"; done
  node_ws=(); for i in 1 2 3 4; do node_ws+=("ws://127.0.0.1:$((cluster_port + i - 1))/socket/websocket"); done
  echo "cluster: redis $redis_url (pid $cluster_redis_pid), nodes ${cluster_pids[*]}" >&2
}

crun() {  # crun <name> <cluster args…>: $RUNS bounded runs labelled <name>
  local name=$1 r; shift
  for r in $(seq "${RUNS:-3}"); do
    run "$name-r$r" cluster --label "$name" --token "$service" "$@"
  done
}

cluster_scenarios() {
  local subs=${CLUSTER_SUBSCRIBERS:-1000} msgs=${CLUSTER_MESSAGES:-3000} one=${CLUSTER_ONE_MESSAGES:-2000}
  local slow=${CLUSTER_LATENCY_MESSAGES:-1000} big=${CLUSTER_BIG_SUBSCRIBERS:-10000}
  local three="${node_ws[0]},${node_ws[1]},${node_ws[2]}" two="${node_ws[1]},${node_ws[2]}"
  local pids3=(--server-pid "${cluster_pids[0]}" --server-pid "${cluster_pids[1]}" --server-pid "${cluster_pids[2]}")
  local redis=(--via redis --redis-url "$redis_url" --redis-pid "$cluster_redis_pid")
  # (i) Redis PUBLISH → client at 100 msg/s, 1,000 subscribers over the three nodes (SPEC: p99 < 10 ms).
  crun redis-100ps-1k --node "$three" "${redis[@]}" --subscribers "$subs" --messages "$slow" --rate 100 "${pids3[@]}"
  # … and the same rate into one node alone by POST /api/broadcast: what the bus costs at moderate load.
  crun alone-http-100ps-1k --node "${node_ws[3]}" --publish http --subscribers "$subs" --messages "$slow" --rate 100 \
    --server-pid "${cluster_pids[3]}"
  # (ii) Most deliveries/s: publisher socket on node 1, subscribers on nodes 2–3; then everything on one node alone.
  crun cross-ws-pipelined-1k --node "$two" --publish-node "${node_ws[0]}" --publish ws --subscribers "$subs" \
    --messages "$msgs" --window 256 "${pids3[@]}" --redis-pid "$cluster_redis_pid"
  crun alone-ws-pipelined-1k --node "${node_ws[3]}" --publish ws --subscribers "$subs" --messages "$msgs" --window 256 \
    --server-pid "${cluster_pids[3]}"
  # (iii) Both publisher styles (pipelined, one at a time) for every way in, across nodes.
  crun cross-ws-one-1k --node "$two" --publish-node "${node_ws[0]}" --publish ws --one-at-a-time --subscribers "$subs" \
    --messages "$one" "${pids3[@]}" --redis-pid "$cluster_redis_pid"
  crun alone-ws-one-1k --node "${node_ws[3]}" --publish ws --one-at-a-time --subscribers "$subs" --messages "$one" \
    --server-pid "${cluster_pids[3]}"
  crun cross-http-pipelined-1k --node "$two" --publish-node "${node_ws[0]}" --publish http --subscribers "$subs" \
    --messages "$msgs" --window 256 "${pids3[@]}" --redis-pid "$cluster_redis_pid"
  crun cross-http-one-1k --node "$two" --publish-node "${node_ws[0]}" --publish http --one-at-a-time \
    --subscribers "$subs" --messages "$one" "${pids3[@]}" --redis-pid "$cluster_redis_pid"
  crun redis-pipelined-1k --node "$three" "${redis[@]}" --subscribers "$subs" --messages "$msgs" --window 256 "${pids3[@]}"
  crun redis-one-1k --node "$three" "${redis[@]}" --one-at-a-time --subscribers "$subs" --messages "$one" "${pids3[@]}"
  # One large topic: 10,000 subscribers over the three nodes at 5 msg/s, then on the node alone (cf. latency-10k).
  crun redis-5ps-10k --node "$three" "${redis[@]}" --subscribers "$big" --messages 100 --rate 5 "${pids3[@]}" \
    --concurrency 100
  crun alone-http-5ps-10k --node "${node_ws[3]}" --publish http --subscribers "$big" --messages 100 --rate 5 \
    --server-pid "${cluster_pids[3]}" --concurrency 100
  cluster_bus_metrics
  python3 loadtest/cluster_medians.py "$OUT/results.jsonl" >&2
}

# The nodes' bus counters after the runs (published, received, dropped, gaps, publish failures, lag histogram).
cluster_bus_metrics() {
  local i
  for i in 1 2 3; do
    curl -fs "http://127.0.0.1:$((cluster_port + i - 1))/metrics" | grep '^rally_bus_' > "$OUT/node$i-bus.metrics" || true
    echo "cluster: node $i bus counters:" >&2
    grep -E '^rally_bus_(published|received|dropped|gaps|publish_failures)_total' "$OUT/node$i-bus.metrics" >&2 || true
  done
}
