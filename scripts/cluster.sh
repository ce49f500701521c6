#!/usr/bin/env bash
# Several Rally nodes acting as one on a local Redis, on loopback: a redis-server and three embedded nodes
# (ports 4001-4003) sharing one JWT secret, so the demo page opened on any node chats with and sees the presence
# of tabs on the others. Everything lives under .build/cluster (logs, pids, Redis's data).
# Usage: scripts/cluster.sh up [N]   build (release) and start Redis and N nodes (default 3)
#        scripts/cluster.sh status   which processes run, and each node's /readyz
#        scripts/cluster.sh down     stop the nodes (SIGTERM drain), then Redis
# Environment: RALLY_CLUSTER_REDIS_PORT (6390), RALLY_CLUSTER_FIRST_PORT (4001), RALLY_CLUSTER_SECRET (random).
set -euo pipefail
cd "$(dirname "$0")/.."

STATE="$PWD/.build/cluster"
REDIS_PORT="${RALLY_CLUSTER_REDIS_PORT:-6390}"
FIRST_PORT="${RALLY_CLUSTER_FIRST_PORT:-4001}"
DEADLINE_SECONDS=60

say() { echo "cluster: $*" >&2; }
fail() { say "$*"; exit 1; }

wait_until() {
  local what=$1; shift
  local end=$((SECONDS + DEADLINE_SECONDS))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || fail "$what not ready after ${DEADLINE_SECONDS}s (logs in $STATE)"
    sleep 0.1
  done
}

start_redis() {
  command -v redis-server >/dev/null || fail "redis-server not found (apt-get install redis-server)"
  mkdir -p "$STATE/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$STATE/redis" --daemonize yes --save '' \
    --appendonly no --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  wait_until "redis" redis-cli -p "$REDIS_PORT" ping
}

start_node() {
  local index=$1 binary=$2 secret=$3
  local port=$((FIRST_PORT + index - 1))
  RALLY_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" RALLY_NODE_ID="$(printf '%x' "$index")" \
    RALLY_JWT_SECRET="$secret" RALLY_DEMO_TOKENS=true RALLY_THREADS=1 \
    nohup "$binary" serve --host 127.0.0.1 --port "$port" >"$STATE/node$index.log" 2>&1 &
  echo $! > "$STATE/node$index.pid"
  wait_until "node $index" curl -fsS "http://127.0.0.1:$port/readyz"
  say "node $index: http://127.0.0.1:$port/ (pid $(cat "$STATE/node$index.pid"))"
}

up() {
  local count=${1:-3}
  [[ -f "$STATE/redis.pid" ]] && fail "already up (scripts/cluster.sh down first)"
  swift build -c release --product rally >&2
  local binary; binary="$(swift build -c release --show-bin-path)/rally"
  local secret="${RALLY_CLUSTER_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(24))')}"
  mkdir -p "$STATE"
  start_redis
  say "redis: redis://127.0.0.1:$REDIS_PORT"
  for index in $(seq 1 "$count"); do start_node "$index" "$binary" "$secret"; done
  say "open two of those URLs in two browser tabs: they chat and see each other's presence across nodes"
}

status() {
  [[ -f "$STATE/redis.pid" ]] || { say "down"; return; }
  say "redis pid $(cat "$STATE/redis.pid"): $(redis-cli -p "$REDIS_PORT" ping 2>&1)"
  for pidfile in "$STATE"/node*.pid; do
    local index=${pidfile##*/node}; index=${index%.pid}
    local port=$((FIRST_PORT + index - 1))
    say "node $index pid $(cat "$pidfile"): $(curl -sS "http://127.0.0.1:$port/readyz" 2>&1)"
  done
}

down() {
  for pidfile in "$STATE"/node*.pid; do
    [[ -f "$pidfile" ]] || continue
    local pid; pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    wait_until "node pid $pid to stop" bash -c "! kill -0 $pid"
    rm -f "$pidfile"
  done
  if [[ -f "$STATE/redis.pid" ]]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    rm -f "$STATE/redis.pid"
  fi
  say "down"
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  status) status ;;
  down) down ;;
  *) fail "usage: $0 up [N] | status | down" ;;
esac
