#!/usr/bin/env bash
# The demo page in a real browser: starts an embedded node ($RALLY_BIN, port chosen by the OS), opens the page in
# headless Chromium tabs as Alice, Bob and Dave (tests-browser/demo_page_check.py) and stops the node; the REST
# publish of realtime-js from a page on another origin (tests-browser/rest_publish_check.py); the admin dashboard
# in one tab of another node (tests-browser/admin_page_check.py). Then, with a Redis (RALLY_TEST_REDIS_URL, as
# scripts/services.sh exports it), two nodes of one cluster: one tab on each. Refused joins (the demo shows
# several) are answered after 200 ms rather than the default 5 s, to keep it short. The checks share their DevTools
# plumbing (tests-browser/chromium.py).
set -euo pipefail
cd "$(dirname "$0")/.."
rally=${RALLY_BIN:-$(swift build -c release --show-bin-path)/rally}
logs=()
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -f "${logs[@]}"' EXIT

# Starts a node with the given environment (VAR=value …) and sets `url` to its URL. (Not in a command
# substitution: the pid must reach this shell's `pids`, so the trap stops every node.)
start_node() {
  local log; log=$(mktemp /tmp/rally-demo.XXXXXX)
  logs+=("$log")
  env RALLY_JOIN_ERROR_DELAY_MS=200 "$@" "$rally" serve --port 0 > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do grep -q "listening on" "$log" && break; sleep 0.05; done
  url=$(grep -o 'http://[0-9.:]*/' "$log" | head -1)
  [[ -n "$url" ]] || { cat "$log" >&2; echo "browser: node did not start" >&2; exit 1; }
}

start_node
timeout 120 python3 tests-browser/demo_page_check.py "$url"

# The REST publish of realtime-js from a page on another origin (CORS preflight), with tokens of demo people.
rest_secret=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
start_node RALLY_JWT_SECRET="$rest_secret"
timeout 120 python3 tests-browser/rest_publish_check.py "$url" "$rest_secret"

# The admin dashboard (README "Admin dashboard"), signed in with the node's admin token.
admin_token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
start_node RALLY_ADMIN_TOKEN="$admin_token"
timeout 60 python3 tests-browser/admin_page_check.py "$url" "$admin_token"

if [[ -n "${RALLY_TEST_REDIS_URL:-}" ]]; then
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
  cluster=(RALLY_REDIS_URL="$RALLY_TEST_REDIS_URL" RALLY_JWT_SECRET="$secret" RALLY_DEMO_TOKENS=true
           RALLY_ADMIN_TOKEN="$admin_token")
  start_node "${cluster[@]}" RALLY_NODE_ID=b1
  first=$url
  start_node "${cluster[@]}" RALLY_NODE_ID=b2
  second=$url
  for node in "$first" "$second"; do
    for _ in $(seq 300); do curl -fsS "${node}readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  done
  timeout 120 python3 tests-browser/demo_page_check.py "$first" "$second"
  timeout 60 python3 tests-browser/admin_page_check.py "$first" "$admin_token" --publish-url "$second"
else
  echo "browser: RALLY_TEST_REDIS_URL unset, the two-node demo check is skipped"
fi
