#!/usr/bin/env bash
# Runs the Autobahn TestSuite cases (PyPI `kosoku`) against a WebSocket echo endpoint.
#
# Usage: scripts/autobahn.sh <server-binary> [args…]
#   e.g. scripts/autobahn.sh .build/release/rally serve --host 127.0.0.1 --port 9001 --echo
#
# Starts the given command, waits (with a deadline) until 127.0.0.1:$AUTOBAHN_PORT accepts
# connections, runs every case against ws://127.0.0.1:$AUTOBAHN_PORT/echo, writes the report to
# reports/autobahn/ (index.html, index.json), prints "Autobahn: N passed, M failed" and the elapsed
# time, stops the server, and exits non-zero if any case failed or the run could not complete.
#
# Environment:
#   AUTOBAHN_PORT           port the server listens on (default 9001); must match the server's args
#   AUTOBAHN_CASES          space-separated case globs to run (default: all), e.g. "1.* 9.1.*"
#   AUTOBAHN_PARALLELISM    cases run at once (default 2)
#   AUTOBAHN_START_TIMEOUT  seconds to wait for the port (default 30)
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 <server-binary> [args…]" >&2
    exit 2
fi

port="${AUTOBAHN_PORT:-9001}"
parallelism="${AUTOBAHN_PARALLELISM:-2}"
start_timeout="${AUTOBAHN_START_TIMEOUT:-30}"
root="$(cd "$(dirname "$0")/.." && pwd)"
report_dir="$root/reports/autobahn"
server_log="$report_dir/server.log"
mkdir -p "$report_dir"
rm -rf "${report_dir:?}"/*

command -v kosoku >/dev/null || { echo "autobahn: kosoku not found (pip install kosoku)" >&2; exit 2; }

"$@" >"$server_log" 2>&1 &
server_pid=$!
stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT

port_open() {
    python3 - "$port" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

deadline=$((SECONDS + start_timeout))
until port_open; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "autobahn: server exited before listening; log:" >&2
        cat "$server_log" >&2
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "autobahn: port $port not open after ${start_timeout}s" >&2
        exit 1
    fi
    sleep 0.2
done

case_args=()
for pattern in ${AUTOBAHN_CASES:-}; do case_args+=(-i "$pattern"); done

started=$(date +%s.%N)
set +e
kosoku -m fuzzingclient -p "$parallelism" -o "$report_dir" "${case_args[@]}" "ws://127.0.0.1:$port/echo" \
    >"$report_dir/kosoku.log" 2>&1
kosoku_status=$?
set -e
elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")

if [[ ! -f "$report_dir/index.json" ]]; then
    echo "autobahn: kosoku wrote no report (exit $kosoku_status); log:" >&2
    tail -n 40 "$report_dir/kosoku.log" >&2
    exit 1
fi

set +e
python3 - "$report_dir/index.json" "$elapsed" <<'PY'
import json, sys
index = json.load(open(sys.argv[1]))
accepted = {"OK", "NON-STRICT", "INFORMATIONAL"}
passed, failed = 0, []
for agent, cases in index.items():
    for case_id, result in cases.items():
        if result["behavior"] in accepted and result["behaviorClose"] in accepted:
            passed += 1
        else:
            failed.append((case_id, result["behavior"], result["behaviorClose"]))
key = lambda item: [int(part) for part in item[0].split(".")]
for case_id, behavior, close in sorted(failed, key=key):
    print(f"  FAILED {case_id}: {behavior} / close {close}")
print(f"Autobahn: {passed} passed, {len(failed)} failed ({sys.argv[2]} s)")
sys.exit(1 if failed else 0)
PY
summary_status=$?
set -e
if ((kosoku_status != 0 && summary_status == 0)); then
    echo "autobahn: kosoku exited with $kosoku_status; see $report_dir/kosoku.log" >&2
    exit 1
fi
echo "report: $report_dir/index.html"
exit "$summary_status"
