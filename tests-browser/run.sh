#!/usr/bin/env bash
# The demo page in a real browser: starts an embedded node ($RALLY_BIN, port chosen by the OS), opens the page in
# two headless Chromium tabs (tests-browser/demo_page_check.py) and stops the node.
set -euo pipefail
cd "$(dirname "$0")/.."
rally=${RALLY_BIN:-$(swift build -c release --show-bin-path)/rally}
log=$(mktemp /tmp/rally-demo.XXXXXX)
"$rally" serve --port 0 > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 300); do grep -q "listening on" "$log" && break; sleep 0.05; done
url=$(grep -o 'http://[0-9.:]*/' "$log" | head -1)
[[ -n "$url" ]] || { cat "$log" >&2; echo "browser: node did not start" >&2; exit 1; }
timeout 120 python3 tests-browser/demo_page_check.py "$url"
