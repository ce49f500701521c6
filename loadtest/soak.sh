#!/usr/bin/env bash
# "Soak and memory after load" (BENCHMARKS.md): for each allocator setting, a fresh release node and one
# rally-loadtest soak against it, the node's RSS sampled every second. One JSON line per run in $OUT/soak.jsonl
# (default /tmp/rally-soak), an HTML report per run beside it, and a table of the RSS readings at the end.
# Usage: loadtest/soak.sh [variant…]   variants: trim-off trim-on arena-2 (default: all three)
#        SOAK_ARGS="--sockets 5000 …" overrides the soak's flags (default below).
# Builds what it runs first (release). Loopback only; every run is bounded (--max-time).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)"
variants=("$@")
[[ ${#variants[@]} -gt 0 ]] || variants=(trim-off trim-on arena-2)
for product in rally rally-loadtest; do swift build -c release --product "$product" >&2; done
bin_dir=$(swift build -c release --show-bin-path)
OUT=${OUT:-/tmp/rally-soak}
mkdir -p "$OUT"
secret=soak-secret-0123456789abcdef
port=${RALLY_SOAK_PORT:-4300}
args=${SOAK_ARGS:---sockets 5000 --topics 50 --duration 60 --rounds 2 --idle 15 --broadcast-rate 500 --presence-rate 200 --rejoin-rate 50 --reconnect-rate 100}
user=$(python3 loadtest/mint_jwt.py --secret "$secret" --role authenticated --hours 2)

node_pid=""
trap '[[ -n "$node_pid" ]] && kill "$node_pid" 2>/dev/null || true' EXIT

for variant in "${variants[@]}"; do
  case $variant in
    trim-off) env=(RALLY_MALLOC_TRIM_IDLE_MS=0) ;;            # what glibc's malloc keeps on its own
    trim-on) env=() ;;                                       # the default: trim 5 s after a drop of 1,000 sockets
    arena-2) env=(RALLY_MALLOC_TRIM_IDLE_MS=0 MALLOC_ARENA_MAX=2) ;;   # fewer arenas, no trim
    *) echo "soak.sh: unknown variant $variant" >&2; exit 2 ;;
  esac
  env "${env[@]}" RALLY_LOG_LEVEL=info RALLY_CONNECT_ERROR_DELAY_MS=0 RALLY_MAX_CONNECTIONS_PER_IP=100000 \
    "$bin_dir/rally" serve --port "$port" --mode production --jwt-secret "$secret" > "$OUT/rally-$variant.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 200); do grep -q listening "$OUT/rally-$variant.log" && break; sleep 0.05; done
  sleep 1
  echo "== soak $variant: ${env[*]:-defaults}; rally-loadtest soak $args" >&2
  # shellcheck disable=SC2086
  "$bin_dir/rally-loadtest" soak --url "ws://127.0.0.1:$port/socket/websocket" --token "$user" --server-pid "$node_pid" \
    --label "$variant" --max-time 1800 --report "$OUT/soak-$variant.html" $args | tee -a "$OUT/soak.jsonl"
  kill "$node_pid"; wait "$node_pid" 2>/dev/null || true
  node_pid=""
done

python3 - "$OUT/soak.jsonl" "${variants[@]}" <<'PY'
import json, sys
runs = {}
for line in open(sys.argv[1]):
    report = json.loads(line)
    runs[report.get("label")] = report
mib = lambda b: "n/a" if b is None else f"{b / 1048576:.1f}"
print("variant   start  peak   end-of-load  after-close  after-idle  heap(anon) start→after-idle  rounds' after-idle  errors")
for name in sys.argv[2:]:
    r = runs.get(name)
    if not r:
        continue
    s = r["soak"]; rss = s["rss"]
    rounds = " ".join(mib(x["rss_after_idle"]) for x in s["rounds"])
    print(f"{name:9} {mib(rss['start']):6} {mib(rss['peak']):6} {mib(rss['end_of_load']):12} {mib(rss['after_close']):12} "
          f"{mib(rss['after_idle']):11} {mib(rss.get('anon_start'))}→{mib(rss.get('anon_after_idle')):24} {rounds:19} {s['error_count']}")
PY
