#!/usr/bin/env bash
# Runs every test: Swift unit and integration tests, the official Supabase Python client against a live node,
# the Autobahn conformance suite against /echo, and a tiny load-generator run.
# Usage: scripts/test.sh            (everything)
#        RALLY_TEST_SKIP=autobahn scripts/test.sh   (skip named stages: swift, fuzz, python, browser, autobahn, loadtest)
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
skip=" ${RALLY_TEST_SKIP:-} "
stage() { echo; echo "=== $1 ==="; }
started=$(date +%s)

stage "services (PostgreSQL, Redis, a Redis Cluster on loopback)"
eval "$(scripts/services.sh start)"
trap 'scripts/services.sh stop >/dev/null 2>&1 || true' EXIT

if [[ "$skip" != *" swift "* ]]; then
  stage "swift test"
  swift build --build-tests
  swift test --skip-build --disable-swift-testing
fi

if [[ "$skip" != *" fuzz "* ]]; then
  stage "fuzz (libFuzzer + AddressSanitizer, a few seconds per target)"
  scripts/fuzz.sh all "${RALLY_FUZZ_SECONDS:-3}"
fi

stage "release build"
swift build -c release --product rally
swift build -c release --product rally-loadtest
swift build -c release --product rally-nio-floor
RALLY_BIN="$(swift build -c release --show-bin-path)/rally"
LOADTEST_BIN="$(swift build -c release --show-bin-path)/rally-loadtest"
export RALLY_BIN LOADTEST_BIN

if [[ "$skip" != *" python "* ]]; then
  stage "realtime-py (official Supabase client) end to end"
  python3 -m pytest -q tests-py
fi

if [[ "$skip" != *" browser "* ]]; then
  stage "headless Chromium: the product demo in three tabs, REST publish from another origin, the admin dashboard"
  tests-browser/run.sh
fi

if [[ "$skip" != *" autobahn "* ]]; then
  stage "Autobahn TestSuite (kosoku) against /echo"
  scripts/autobahn.sh "$RALLY_BIN" serve --host 127.0.0.1 --port "${AUTOBAHN_PORT:-9001}" --echo
fi

if [[ "$skip" != *" loadtest "* ]]; then
  stage "loadtest smoke run"
  scripts/loadtest-smoke.sh
fi

echo
echo "all stages passed in $(( $(date +%s) - started ))s"
