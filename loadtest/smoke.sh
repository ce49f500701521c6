#!/usr/bin/env bash
# A tiny rally-loadtest run so the tool cannot rot: every scenario against nginx + Nchan (raw mode)
# and the Rally-mode scenarios plus `check` against loadtest/peer/fake_rally.py. Loopback only,
# bounded in time. Each run's JSON line must show every connection made and nothing lost.
# Usage: loadtest/smoke.sh [path/to/rally-loadtest]   (default: $LOADTEST_BIN, else a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${LOADTEST_BIN:-}}
if [[ -z "$bin" ]]; then
  swift build -c release --product rally-loadtest
  bin="$(swift build -c release --show-bin-path)/rally-loadtest"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d /tmp/rally-loadtest-smoke.XXXXXX)
nchan_port=${SMOKE_NCHAN_PORT:-18089}
peer_port=${SMOKE_PEER_PORT:-14010}
peer_pid=""
live_pid=""
live_db=""
cluster_pids=()
cleanup() {
  for pid in "${cluster_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  NCHAN_PREFIX="$work/nchan" loadtest/nchan/run.sh stop || true
  [[ -n "$peer_pid" ]] && kill "$peer_pid" 2>/dev/null || true
  [[ -n "$live_pid" ]] && { kill "$live_pid" 2>/dev/null; wait "$live_pid" 2>/dev/null; } || true
  [[ -n "$live_db" ]] && psql "$RALLY_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $live_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Asserts on the JSON line of one run: all connections made, nothing lost/duplicated, deliveries as expected.
verify() {
  python3 - "$1" <<'PY'
import json, sys
report = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
c, d = report["connections"], report.get("deliveries")
problems = []
if c["failed"]: problems.append(f"{c['failed']} connections failed: {c['failures']}")
if d:
    if d["lost"] or d["duplicated"]: problems.append(f"lost {d['lost']} duplicated {d['duplicated']}")
    if d["received"] != d["expected"] or d["expected"] == 0: problems.append(f"received {d['received']} of {d['expected']}")
live = report.get("live")
if live:
    problems += report.get("notes", [])
    if live["rows_committed"] == 0 or live["commit_failures"]: problems.append(f"commits: {live['rows_committed']}, {live['commit_failures']} failed")
    if "final_going_expected" in live and live["subscribers_with_final_going"] != c["connected"]:
        problems.append(f"final count on {live['subscribers_with_final_going']} of {c['connected']} subscribers")
    if live.get("updates_going_backwards"): problems.append(f"{live['updates_going_backwards']} updates going backwards")
if problems:
    sys.exit(f"smoke: {report['scenario']} {report['mode']}: " + "; ".join(problems))
print(f"smoke: {report['scenario']:8} {report['mode']:8} ok", file=sys.stderr)
PY
}

run() {  # run <name> <args…>: one bounded run, JSON line checked
  local name=$1; shift
  timeout 120 "$bin" "$@" --quiet --max-time 100 > "$work/$name.json"
  verify "$work/$name.json"
}

pid=$(NCHAN_PREFIX="$work/nchan" NCHAN_PORT=$nchan_port loadtest/nchan/run.sh start)
nchan="127.0.0.1:$nchan_port"
run storm-nchan storm --mode raw --url "ws://$nchan/sub/{topic}" --connections 300 --settle 0.2 --server-pid "$pid"
run fanout-nchan fanout --mode raw --url "ws://$nchan/sub/{topic}" --publish-url "http://$nchan/pub/{topic}" \
  --subscribers 200 --messages 200 --window 32 --report "$work/fanout.html"
run fanout-nchan-2p fanout --mode raw --url "ws://$nchan/sub/{topic}" --publish-url "http://$nchan/pub/{topic}" \
  --subscribers 200 --messages 50 --processes 2 --source-addresses 2 --one-at-a-time
run chat-nchan chat --mode raw --url "ws://$nchan/pubsub/{topic}" --rooms 4 --members 4 --rate 20 --messages 10
grep -q "<svg" "$work/fanout.html" || { echo "smoke: HTML report has no plot" >&2; exit 1; }

# The NIO floor (the benchmarks' SwiftNIO reference) speaks the same URLs: subscribe, publish, publish-and-subscribe.
nio_bin="$(dirname "$bin")/rally-nio-floor"
if [[ -x "$nio_bin" ]]; then
  nio_port=$((nchan_port + 8))
  "$nio_bin" --port "$nio_port" --threads 2 > "$work/nio-floor.log" 2>&1 &
  cluster_pids+=($!)
  for _ in $(seq 200); do grep -q listening "$work/nio-floor.log" && break; sleep 0.05; done
  nio="127.0.0.1:$nio_port"
  run fanout-nio fanout --mode raw --url "ws://$nio/sub/{topic}" --publish-url "http://$nio/pub/{topic}" \
    --subscribers 200 --messages 200 --window 32
  run roundtrip-nio roundtrip --mode raw --url "ws://$nio/pubsub/{topic}" --sockets 10 --duration 0.5
  run storm-nio storm --mode raw --url "ws://$nio/sub/{topic}" --connections 300 --settle 0.2
fi

# The Rally modes against a real Rally node (RALLY_BIN, as scripts/test.sh exports), else the fake peer.
secret=smoke-secret-0123456789abcdef
if [[ -n "${RALLY_BIN:-}" ]]; then
  RALLY_MESSAGES_PER_SECOND=100000 RALLY_MESSAGE_BURST=100000 RALLY_CONNECT_ERROR_DELAY_MS=0 \
    "$RALLY_BIN" serve --port "$peer_port" --mode production --jwt-secret "$secret" > "$work/peer.log" 2>&1 &
  peer_pid=$!
  http_url="http://127.0.0.1:$peer_port/api/broadcast"
else
  python3 loadtest/peer/fake_rally.py --port "$peer_port" --http-port $((peer_port + 1)) > "$work/peer.log" &
  peer_pid=$!
  http_url="http://127.0.0.1:$((peer_port + 1))/api/broadcast"
fi
for _ in $(seq 600); do grep -q listening "$work/peer.log" && break; sleep 0.05; done
grep -q listening "$work/peer.log" || { cat "$work/peer.log" >&2; echo "smoke: peer did not start" >&2; exit 1; }
peer="ws://127.0.0.1:$peer_port/socket/websocket"
user=$(python3 loadtest/mint_jwt.py --secret "$secret" --role authenticated --hours 1)
service=$(python3 loadtest/mint_jwt.py --secret "$secret" --role service_role --hours 1)
timeout 30 "$bin" check --url "$peer" --token "$user" --refused-token refuse-me
for mode in rally-v1 rally-v2; do
  run "fanout-$mode-ws" fanout --mode $mode --url "$peer" --token "$user" --subscribers 20 --messages 50 --publish ws
  run "fanout-$mode-http" fanout --mode $mode --url "$peer" --token "$service" --subscribers 20 --messages 50 \
    --publish http --publish-url "$http_url"
  run "chat-$mode" chat --mode $mode --url "$peer" --token "$user" --rooms 2 --members 3 --rate 20 --messages 5
done
# Three seconds of churn (joins, broadcasts, presence, leaves, reconnects) with the peer's RSS sampled: no errors.
run soak soak --mode rally-v2 --url "$peer" --token "$user" --sockets 20 --topics 4 --duration 2 --idle 0.5 \
  --broadcast-rate 40 --presence-rate 4 --rejoin-rate 4 --reconnect-rate 4 --server-pid "$peer_pid"
python3 -c 'import json, sys; s = json.loads(open(sys.argv[1]).read().splitlines()[-1])["soak"]; a = s["actions"]
sys.exit(0 if s["error_count"] == 0 and a["broadcasts_received"] > 0 and s["rss"]["after_idle"]
         else "smoke: soak: errors %s, received %d" % (a["errors"], a["broadcasts_received"]))' "$work/soak.json"

# Live data (Postgres commit → client) against a real node on a fresh database, when both are at hand.
if [[ -n "${RALLY_BIN:-}" && -n "${RALLY_TEST_DATABASE_URL:-}" ]]; then
  live_db="rally_loadtest_smoke_$$"
  psql "$RALLY_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $live_db"
  export RALLY_DATABASE_URL
  RALLY_DATABASE_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
    "$RALLY_TEST_DATABASE_URL" "$live_db")
  "$RALLY_BIN" migrate > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; exit 1; }
  live_port=$((peer_port + 2))
  RALLY_CHAT_PER_SECOND=100 RALLY_CONNECT_ERROR_DELAY_MS=0 "$RALLY_BIN" serve --port "$live_port" --mode production \
    --jwt-secret "$secret" > "$work/live.log" 2>&1 &
  live_pid=$!
  for _ in $(seq 600); do grep -q listening "$work/live.log" && break; sleep 0.05; done
  grep -q listening "$work/live.log" || { cat "$work/live.log" >&2; echo "smoke: live node did not start" >&2; exit 1; }
  live="ws://127.0.0.1:$live_port/socket/websocket"
  export RALLY_JWT_SECRET=$secret
  run capacity capacity --mode rally-v2 --url "$live" --subscribers 20 --rows 30 --rate 60 --burst 3
  run chat-durable chat --durable --mode rally-v1 --url "$live" --rooms 2 --members 3 --rate 10 --messages 5
  run activity activity --mode rally-v2 --url "$live" --users 30 --friends 4 --rsvps 30 --rate 60
fi
# Several nodes on one Redis (the cluster scenario), when a real node and redis-server are at hand (~5 s).
if [[ -n "${RALLY_BIN:-}" ]] && command -v redis-server >/dev/null; then
  redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work" > "$work/redis.log" 2>&1 &
  cluster_pids+=($!)
  for _ in $(seq 200); do [[ $(redis-cli -p "$redis_port" PING 2>/dev/null) == PONG ]] && break; sleep 0.05; done
  nodes=()
  for i in 1 2; do
    port=$((peer_port + 2 + i))
    RALLY_REDIS_URL="redis://127.0.0.1:$redis_port" RALLY_NODE_ID="c$i" RALLY_THREADS=1 RALLY_MESSAGES_PER_SECOND=100000 \
      RALLY_MESSAGE_BURST=100000 RALLY_CONNECT_ERROR_DELAY_MS=0 "$RALLY_BIN" serve --port "$port" --mode production \
      --jwt-secret "$secret" > "$work/node$i.log" 2>&1 &
    cluster_pids+=($!)
    nodes+=("ws://127.0.0.1:$port/socket/websocket")
  done
  for i in 1 2; do
    for _ in $(seq 400); do curl -fs "http://127.0.0.1:$((peer_port + 2 + i))/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  done
  service=$(python3 loadtest/mint_jwt.py --secret "$secret" --role service_role --hours 1)
  run cluster-redis cluster --node "${nodes[0]},${nodes[1]}" --token "$service" --via redis \
    --redis-url "redis://127.0.0.1:$redis_port" --subscribers 20 --messages 50 --rate 200
  run cluster-ws cluster --node "${nodes[1]}" --publish-node "${nodes[0]}" --token "$service" --publish ws \
    --one-at-a-time --subscribers 20 --messages 50
  run cluster-http cluster --node "${nodes[0]}" --node "${nodes[1]}" --mode rally-v1 --token "$service" --publish http \
    --subscribers 20 --messages 50
fi
echo "smoke: rally-loadtest ok" >&2
