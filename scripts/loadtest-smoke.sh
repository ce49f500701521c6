#!/usr/bin/env bash
# The loadtest stage of scripts/test.sh: see loadtest/smoke.sh.
exec "$(dirname "$0")/../loadtest/smoke.sh" "$@"
