#!/usr/bin/env bash
# Rally next to nginx + Nchan, measured the same way in the same session (BENCHMARKS.md quotes this).
# Usage: loadtest/bench.sh [fanout-1k|fanout-10k|latency-10k|idle|all]   (default: all)
# Needs release builds: swift build -c release --product rally --product rally-loadtest
# Loopback only; every run is bounded (--max-time). Results: one JSON line per run in $OUT (default
# /tmp/rally-bench/results.jsonl), HTML reports beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
what=${1:-all}
bin_dir=$(swift build -c release --show-bin-path)
LT="$bin_dir/rally-loadtest"
RALLY="$bin_dir/rally"
OUT=${OUT:-/tmp/rally-bench}
mkdir -p "$OUT"
secret=bench-secret-0123456789abcdef
rally_port=${RALLY_BENCH_PORT:-4100}
nchan_port=${NCHAN_PORT:-8089}

RALLY_MAX_CONNECTIONS_PER_IP=1000000 RALLY_MESSAGES_PER_SECOND=1000000 RALLY_MESSAGE_BURST=1000000 \
  RALLY_JOINS_PER_SECOND=1000 "$RALLY" serve --port "$rally_port" --mode production --jwt-secret "$secret" \
  > "$OUT/rally.log" 2>&1 &
rally_pid=$!
nchan_pid=$(NCHAN_PORT=$nchan_port loadtest/nchan/run.sh start)
trap 'kill $rally_pid 2>/dev/null || true; loadtest/nchan/run.sh stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 200); do grep -q listening "$OUT/rally.log" && break; sleep 0.05; done
user=$(python3 loadtest/mint_jwt.py --secret "$secret" --role authenticated --hours 2)
service=$(python3 loadtest/mint_jwt.py --secret "$secret" --role service_role --hours 2)
rally_ws="ws://127.0.0.1:$rally_port/socket/websocket"
rally_http="http://127.0.0.1:$rally_port/api/broadcast"
nchan_sub="ws://127.0.0.1:$nchan_port/sub/{topic}"
nchan_pub="http://127.0.0.1:$nchan_port/pub/{topic}"

run() {  # run <name> <rally-loadtest args…>
  local name=$1; shift
  echo "== $name: rally-loadtest $*" >&2
  "$LT" "$@" --max-time 300 --report "$OUT/$name.html" | tee -a "$OUT/results.jsonl"
}

fanout() {  # fanout <subscribers> <messages> <extra args…>: Rally (HTTP publish, v1) then Nchan
  local n=$1 m=$2; shift 2
  run "rally-fanout-$n" fanout --mode rally-v1 --url "$rally_ws" --token "$service" --publish http \
    --publish-url "$rally_http" --subscribers "$n" --messages "$m" --server-pid "$rally_pid" "$@"
  run "nchan-fanout-$n" fanout --mode raw --url "$nchan_sub" --publish-url "$nchan_pub" \
    --subscribers "$n" --messages "$m" --server-pid "$nchan_pid" "$@"
}

case $what in
  fanout-1k|all) fanout 1000 5000 --window 256 ;;&
  fanout-10k|all) fanout 10000 500 --window 32 --processes 2 --source-addresses 2 ;;&
  latency-10k|all) fanout 10000 100 --rate 5 --processes 2 --source-addresses 2 ;;&
  idle|all)
    run rally-idle storm --mode rally-v2 --url "$rally_ws" --token "$user" --connections 19500 --processes 2 \
      --source-addresses 2 --topics 10 --settle 3 --server-pid "$rally_pid"
    run nchan-idle storm --mode raw --url "$nchan_sub" --connections 19500 --processes 2 --source-addresses 2 \
      --settle 3 --server-pid "$nchan_pid" ;;
esac
