#!/usr/bin/env bash
# Rally next to nginx + Nchan, measured the same way in the same session (BENCHMARKS.md quotes this).
# Usage: loadtest/bench.sh [fanout-1k|fanout-10k|latency-10k|roundtrip|storm|idle|idle-unjoined|live|live-capacity|live-chat|live-activity|
#                           live-revocation|cluster|compare|all]
# `compare` (BENCHMARKS.md "Fanout with a one-at-a-time publisher"): each fanout row with a pipelined and a
# one-at-a-time publisher, Rally, Nchan and — when FLOOR_START names its start script — the C floor (a minimal
# epoll server, not part of Rally, started with `--slice 64` on one thread and on two: `floor`, `floor2`),
# alternating the servers run by run for $RUNS rounds (default 3); COMPARE="f1k-one lat1k …" picks scenarios,
# SERVERS="rally nchan" the servers (default: Rally on 2 event loops and on 1 (`rally-1t`), Nchan; the floor added).
# The table: python3 loadtest/compare_medians.py $OUT/compare.jsonl
# `cluster` (several nodes on one Redis, loadtest/bench_cluster.sh) starts its own redis-server and four nodes.
# `live` (Postgres commit → client: capacity, chat --durable, activity) needs a Postgres: RALLY_TEST_DATABASE_URL
# (eval "$(scripts/services.sh start)"); it creates a fresh database, migrates it and starts a node on it.
# Builds what it runs first (release: swift build -c release --product rally, then --product rally-loadtest;
# SwiftPM builds only the last of several --product flags).
# Loopback only; every run is bounded (--max-time). Results: one JSON line per run in $OUT (default
# /tmp/rally-bench/results.jsonl), HTML reports beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
what=${1:-all}
for product in rally rally-loadtest rally-nio-floor; do swift build -c release --product "$product" >&2; done
bin_dir=$(swift build -c release --show-bin-path)
LT="$bin_dir/rally-loadtest"
RALLY="$bin_dir/rally"
NIO_FLOOR="$bin_dir/rally-nio-floor"
OUT=${OUT:-/tmp/rally-bench}
mkdir -p "$OUT"
secret=bench-secret-0123456789abcdef
rally_port=${RALLY_BENCH_PORT:-4100}
live_port=${RALLY_BENCH_LIVE_PORT:-4200}
nchan_port=${NCHAN_PORT:-8089}
nio_port=${NIO_FLOOR_PORT:-8097}  # and the next port: the NIO floor on two loops

live_db=""
source loadtest/bench_cluster.sh
cleanup() {
  cluster_stop
  [[ -n "${rally_pid:-}" ]] && kill "$rally_pid" 2>/dev/null || true
  [[ -n "${rally1_pid:-}" ]] && kill "$rally1_pid" 2>/dev/null || true
  [[ -n "${nio_pid:-}" ]] && kill "$nio_pid" "$nio2_pid" 2>/dev/null || true
  floor_stop
  [[ -n "${nchan_started:-}" ]] && { loadtest/nchan/run.sh stop >/dev/null 2>&1 || true; }
  [[ -n "${live_pid:-}" ]] && { kill "$live_pid" 2>/dev/null; wait "$live_pid" 2>/dev/null; } || true
  [[ -n "$live_db" ]] && psql "$RALLY_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $live_db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
if [[ $what != live* && $what != cluster ]]; then
  RALLY_MAX_CONNECTIONS_PER_IP=1000000 RALLY_MESSAGES_PER_SECOND=1000000 RALLY_MESSAGE_BURST=1000000 \
    RALLY_JOINS_PER_SECOND=1000 "$RALLY" serve --port "$rally_port" --mode production --jwt-secret "$secret" \
    > "$OUT/rally.log" 2>&1 &
  rally_pid=$!
  if [[ $what == compare || $what == all ]]; then  # the same node on one event loop (as Nchan's one worker, the floor's one thread)
    RALLY_THREADS=1 RALLY_MAX_CONNECTIONS_PER_IP=1000000 RALLY_MESSAGES_PER_SECOND=1000000 RALLY_MESSAGE_BURST=1000000 \
      RALLY_JOINS_PER_SECOND=1000 "$RALLY" serve --port "$((rally_port + 1))" --mode production --jwt-secret "$secret" \
      > "$OUT/rally1.log" 2>&1 &
    rally1_pid=$!
  fi
  # The NIO floor (loadtest/Sources/RallyNIOFloor: the least a SwiftNIO hub does) on one loop and on two.
  "$NIO_FLOOR" --port "$nio_port" --threads 1 > "$OUT/nio-floor.log" 2>&1 &
  nio_pid=$!
  "$NIO_FLOOR" --port "$((nio_port + 1))" --threads 2 > "$OUT/nio-floor2.log" 2>&1 &
  nio2_pid=$!
  # Stopped at the end only if started here (an nginx already running under NCHAN_PREFIX is someone else's).
  loadtest/nchan/run.sh pid >/dev/null 2>&1 || nchan_started=1
  nchan_pid=$(NCHAN_PORT=$nchan_port loadtest/nchan/run.sh start)
  for _ in $(seq 200); do grep -q listening "$OUT/rally.log" && break; sleep 0.05; done
  for _ in $(seq 200); do [[ -z "${rally1_pid:-}" ]] || grep -q listening "$OUT/rally1.log" && break; sleep 0.05; done
  for _ in $(seq 200); do grep -q listening "$OUT/nio-floor.log" && grep -q listening "$OUT/nio-floor2.log" && break; sleep 0.05; done
fi
user=$(python3 loadtest/mint_jwt.py --secret "$secret" --role authenticated --hours 2)
service=$(python3 loadtest/mint_jwt.py --secret "$secret" --role service_role --hours 2)
rally_ws="ws://127.0.0.1:$rally_port/socket/websocket"
rally_http="http://127.0.0.1:$rally_port/api/broadcast"
nchan_sub="ws://127.0.0.1:$nchan_port/sub/{topic}"
nchan_pub="http://127.0.0.1:$nchan_port/pub/{topic}"

run() {  # run <name> <rally-loadtest args…>
  local name=$1; shift
  echo "== $name: rally-loadtest $*" >&2
  "$LT" "$@" --max-time 300 --report "$OUT/$name.html" --label "$name" | tee -a "$OUT/results.jsonl"
}

fanout() {  # fanout <subscribers> <messages> <extra args…>: Rally (HTTP publish, v1) then Nchan
  local n=$1 m=$2; shift 2
  run "rally-fanout-$n" fanout --mode rally-v1 --url "$rally_ws" --token "$service" --publish http \
    --publish-url "$rally_http" --subscribers "$n" --messages "$m" --server-pid "$rally_pid" "$@"
  run "nchan-fanout-$n" fanout --mode raw --url "$nchan_sub" --publish-url "$nchan_pub" \
    --subscribers "$n" --messages "$m" --server-pid "$nchan_pid" "$@"
}

# The C floor, when FLOOR_START is set: one event loop on $floor_port, two on $floor2_port.
floor_port=${FLOOR_PORT:-8093}
floor2_port=${FLOOR2_PORT:-8095}
floor_start() {
  [[ -n "${FLOOR_START:-}" ]] || return 0
  floor_pid=$(PORT=$floor_port FLOOR_DIR=$OUT/floor "$FLOOR_START" --slice 64 | tail -1)
  floor2_pid=$(PORT=$floor2_port FLOOR_DIR=$OUT/floor2 "$FLOOR_START" --threads 2 --slice 64 | tail -1)
}
floor_stop() {
  [[ -n "${floor_pid:-}" ]] || return 0
  local stop; stop="$(dirname "$FLOOR_START")/stop.sh"
  FLOOR_DIR=$OUT/floor "$stop" >/dev/null 2>&1 || true
  FLOOR_DIR=$OUT/floor2 "$stop" >/dev/null 2>&1 || true
  floor_pid=""
}

# compare_run <scenario> <server> <args…>: one labelled run against one server, into $OUT/compare.jsonl.
nio_pid_of() {  # nio_pid_of 1|2: the NIO floor on that many loops
  if [[ $1 == 1 ]]; then echo "$nio_pid"; else echo "$nio2_pid"; fi
}

compare_run() {
  local scenario=$1 server=$2; shift 2
  local target
  case $server in
    rally) target=(--mode rally-v1 --url "$rally_ws" --token "$service" --publish http --publish-url "$rally_http"
                   --server-pid "$rally_pid") ;;
    rally-1t) target=(--mode rally-v1 --url "ws://127.0.0.1:$((rally_port + 1))/socket/websocket" --token "$service"
                      --publish http --publish-url "http://127.0.0.1:$((rally_port + 1))/api/broadcast"
                      --server-pid "$rally1_pid") ;;
    nchan) target=(--mode raw --url "$nchan_sub" --publish-url "$nchan_pub" --server-pid "$nchan_pid") ;;
    floor) target=(--mode raw --url "ws://127.0.0.1:$floor_port/sub/{topic}"
                   --publish-url "http://127.0.0.1:$floor_port/pub/{topic}" --server-pid "$floor_pid") ;;
    nio) target=(--mode raw --url "ws://127.0.0.1:$nio_port/sub/{topic}"
                 --publish-url "http://127.0.0.1:$nio_port/pub/{topic}" --server-pid "$nio_pid") ;;
    nio2) target=(--mode raw --url "ws://127.0.0.1:$((nio_port + 1))/sub/{topic}"
                  --publish-url "http://127.0.0.1:$((nio_port + 1))/pub/{topic}" --server-pid "$nio2_pid") ;;
    floor2) target=(--mode raw --url "ws://127.0.0.1:$floor2_port/sub/{topic}"
                    --publish-url "http://127.0.0.1:$floor2_port/pub/{topic}" --server-pid "$floor2_pid") ;;
  esac
  echo "== $scenario/$server: rally-loadtest fanout ${target[*]} $*" >&2
  "$LT" fanout "${target[@]}" "$@" --label "$scenario/$server" --max-time 300 --quiet \
    | tee -a "$OUT/compare.jsonl" >/dev/null || echo "== $scenario/$server failed" >&2
}

compare_args() {  # the rally-loadtest arguments of one comparison scenario
  case $1 in
    f1k-pipe) echo "--subscribers 1000 --messages 3000 --window 256 --duration 10" ;;
    f1k-one) echo "--subscribers 1000 --messages 3000 --one-at-a-time --duration 10" ;;
    f10k-pipe) echo "--subscribers 10000 --messages 300 --window 32 --processes 2 --source-addresses 2 --duration 10" ;;
    f10k-one) echo "--subscribers 10000 --messages 300 --one-at-a-time --processes 2 --source-addresses 2 --duration 10" ;;
    lat1k) echo "--subscribers 1000 --messages 500 --rate 100 --one-at-a-time" ;;
    lat10k) echo "--subscribers 10000 --messages 60 --rate 5 --one-at-a-time --processes 2 --source-addresses 2" ;;
  esac
}

compare() {
  floor_start
  local servers=(${SERVERS:-rally rally-1t nchan nio nio2})
  [[ -n "${floor_pid:-}" ]] && servers+=(floor)
  for round in $(seq "${RUNS:-3}"); do
    for scenario in ${COMPARE:-f1k-pipe f1k-one f10k-pipe f10k-one lat1k lat10k}; do
      local order=("${servers[@]}")
      [[ -n "${floor2_pid:-}" ]] && order+=(floor2)  # two threads: beside `rally`'s two event loops
      # Alternate: each round starts with the next server, so none always runs first or last.
      local shift=$(( (round - 1) % ${#order[@]} ))
      order=("${order[@]:$shift}" "${order[@]:0:$shift}")
      for server in "${order[@]}"; do
        # shellcheck disable=SC2046
        compare_run "$scenario" "$server" $(compare_args "$scenario")
      done
    done
  done
  python3 loadtest/compare_medians.py "$OUT/compare.jsonl"
}

# A node on a fresh, migrated database (RALLY_TEST_DATABASE_URL's server), for the live scenarios.
start_live_node() {
  [[ -n "${RALLY_TEST_DATABASE_URL:-}" ]] || { echo "live: set RALLY_TEST_DATABASE_URL (scripts/services.sh)" >&2; exit 1; }
  live_db="rally_bench_$$"
  psql "$RALLY_TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $live_db"
  export RALLY_DATABASE_URL RALLY_JWT_SECRET=$secret
  RALLY_DATABASE_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
    "$RALLY_TEST_DATABASE_URL" "$live_db")
  "$RALLY" migrate > "$OUT/migrate.log" 2>&1
  RALLY_MAX_CONNECTIONS_PER_IP=1000000 RALLY_JOINS_PER_SECOND=1000 RALLY_CHAT_PER_SECOND=100 \
    "$RALLY" serve --port "$live_port" --mode production --jwt-secret "$secret" > "$OUT/rally-live.log" 2>&1 &
  live_pid=$!
  for _ in $(seq 600); do grep -q listening "$OUT/rally-live.log" && break; sleep 0.05; done
}

# The section "Postgres commit → client" of BENCHMARKS.md (live = the three).
live_capacity() {
  run capacity-100-steady capacity --mode rally-v2 --url "$ws" --subscribers 100 --rows 300 --rate 20 --server-pid "$live_pid"
  run capacity-1k-steady capacity --mode rally-v2 --url "$ws" --subscribers 1000 --rows 300 --rate 20 --server-pid "$live_pid"
  run capacity-1k-bursts capacity --mode rally-v2 --url "$ws" --subscribers 1000 --rows 300 --rate 20 --burst 50
  for n in 10 100 1000; do   # one row every 500 ms: no coalescing, the cost per subscriber shows
    run "capacity-$n-slow" capacity --mode rally-v2 --url "$ws" --subscribers "$n" --rows 20 --rate 2
  done
  run capacity-10k-slow capacity --mode rally-v2 --url "$ws" --subscribers 10000 --rows 5 --rate 0.25
}

live_chat() {
  run chat-durable-250 chat --durable --mode rally-v2 --url "$ws" --rooms 50 --members 5 --rate 1 --messages 20
  run chat-durable-1000 chat --durable --mode rally-v2 --url "$ws" --rooms 200 --members 5 --rate 1 --messages 20
}

live_activity() {  # the setup's 10,000 friendships take the node a while (setup_catch_up_seconds)
  run activity-1k-f20 activity --mode rally-v2 --url "$ws" --users 1000 --friends 20 --rsvps 400 --rate 20
  run activity-2k-f10 activity --mode rally-v2 --url "$ws" --users 2000 --friends 10 --rsvps 1000 --rate 50 \
    --catch-up-timeout 200
}

# "Revocation on a busy node" in BENCHMARKS.md: unfriend → channel closed behind a burst of friendship changes.
live_revocation() {
  run revocation-1k-b50 revocation --mode rally-v2 --url "$ws" --subscribers 1000 --viewers 20 --burst 50 --drain 90 \
    --server-pid "$live_pid"
  run revocation-10k-b1000 revocation --mode rally-v2 --url "$ws" --subscribers 10000 --viewers 100 --burst 1000 \
    --drain 90 --server-pid "$live_pid"
}

case $what in
  fanout-1k|all) fanout 1000 5000 --window 256 ;;&
  fanout-10k|all) fanout 10000 500 --window 32 --processes 2 --source-addresses 2 ;;&
  latency-10k|all) fanout 10000 100 --rate 5 --processes 2 --source-addresses 2 ;;&
  roundtrip|all)  # 50 sockets, each alone on its topic (Rally: joined with self: true), one message in flight each
    run rally-roundtrip roundtrip --mode rally-v1 --url "$rally_ws" --token "$user" --sockets 50 --duration 10 \
      --server-pid "$rally_pid"
    run nchan-roundtrip roundtrip --mode raw --url "ws://127.0.0.1:$nchan_port/pubsub/{topic}" --sockets 50 \
      --duration 10 --server-pid "$nchan_pid"
    for n in 1 2; do  # the NIO floor on one loop and on two (its own frames come back: Nchan's /pubsub/)
      run "nio$n-roundtrip" roundtrip --mode raw --url "ws://127.0.0.1:$((nio_port + n - 1))/pubsub/{topic}" \
        --sockets 50 --duration 10 --server-pid "$(nio_pid_of "$n")"
    done ;;&
  storm|all)  # 19,000 connections opened 256 at a time (128 per generator process); Rally: each with its
    # own signed token, joining one of 10 topics
    run rally-storm storm --mode rally-v2 --url "$rally_ws" --token "$user" --connections 19000 --concurrency 128 \
      --processes 2 --source-addresses 2 --topics 10 --settle 1 --mint-secret "$secret" --server-pid "$rally_pid"
    run nchan-storm storm --mode raw --url "$nchan_sub" --connections 19000 --concurrency 128 --processes 2 \
      --source-addresses 2 --settle 1 --server-pid "$nchan_pid"
    for n in 1 2; do
      run "nio$n-storm" storm --mode raw --url "ws://127.0.0.1:$((nio_port + n - 1))/sub/{topic}" --connections 19000 \
        --concurrency 128 --processes 2 --source-addresses 2 --settle 1 --server-pid "$(nio_pid_of "$n")"
    done ;;&
  idle-unjoined)  # the same idle sockets without a channel: what the connection alone costs
    run rally-idle-unjoined storm --mode rally-v2 --url "$rally_ws" --token "$user" --connections 19500 --processes 2 \
      --source-addresses 2 --topics 0 --settle 3 --server-pid "$rally_pid" ;;&
  idle|all)
    run rally-idle storm --mode rally-v2 --url "$rally_ws" --token "$user" --connections 19500 --processes 2 \
      --source-addresses 2 --topics 10 --settle 3 --server-pid "$rally_pid"
    run nchan-idle storm --mode raw --url "$nchan_sub" --connections 19500 --processes 2 --source-addresses 2 \
      --settle 3 --server-pid "$nchan_pid"
    run nio2-idle storm --mode raw --url "ws://127.0.0.1:$((nio_port + 1))/sub/{topic}" --connections 19500 \
      --processes 2 --source-addresses 2 --settle 3 --server-pid "$nio2_pid" ;;&
  live|live-capacity|live-chat|live-activity|live-revocation|all) start_live_node; ws="ws://127.0.0.1:$live_port/socket/websocket" ;;&
  live|live-capacity|all) live_capacity ;;&
  live|live-chat|all) live_chat ;;&
  live|live-activity|all) live_activity ;;&
  live-revocation|all) live_revocation ;;&
  cluster|all) cluster_start; cluster_scenarios; cluster_stop ;;&
  compare|all) compare ;;
esac
