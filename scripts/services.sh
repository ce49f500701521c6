#!/usr/bin/env bash
# Starts the real services the tests use, on loopback, with their data under .build/services:
#   PostgreSQL 15 (Debian package postgresql; initdb into .build/services/pg), Redis, and a Redis Cluster of
#   3 primaries (no replicas) under .build/services/redis-cluster.
# Usage: scripts/services.sh start   start them (idempotent) and print the environment
#        scripts/services.sh env     print the environment of the running services
#        scripts/services.sh stop    stop them
#        eval "$(scripts/services.sh start)"   to export RALLY_TEST_DATABASE_URL, RALLY_TEST_REDIS_URL and
#                                              RALLY_TEST_REDIS_CLUSTER_URL (any one node of the cluster)
# As root (as CI runs) PostgreSQL runs as the `postgres` system user (initdb refuses root). Every message except
# the export lines goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN="${RALLY_PG_BIN:-/usr/lib/postgresql/15/bin}"
STATE="$PWD/.build/services"
PG_HOME="$STATE/pg"          # the cluster (data/) and its log; a link to /tmp when postgres cannot reach here
REDIS_DIR="$STATE/redis"
CLUSTER_DIR="$STATE/redis-cluster"  # one nodes-<port>.conf, .pid and .log per node; ports in cluster.ports
ENV_FILE="$STATE/env"
PG_USER=rally
DEADLINE_SECONDS="${RALLY_SERVICES_DEADLINE:-30}"

say() { echo "services: $*" >&2; }
fail() { say "$*"; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a PostgreSQL binary as the `postgres` user when we are root, else as ourselves.
as_pg_owner() {
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Waits until "$@" succeeds, polling, or fails after the deadline.
wait_until() {
  local what=$1; shift
  local end=$((SECONDS + DEADLINE_SECONDS))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || fail "$what not ready after ${DEADLINE_SECONDS}s"
    sleep 0.1
  done
}

pg_data() { echo "$(readlink -f "$PG_HOME")/data"; }
pg_port() { cat "$STATE/pg.port" 2>/dev/null || true; }
pg_running() { [[ -f "$(pg_data)/postmaster.pid" ]] && as_pg_owner "$PG_BIN/pg_ctl" -D "$(pg_data)" status >/dev/null 2>&1; }
redis_port() { cat "$STATE/redis.port" 2>/dev/null || true; }
redis_running() { [[ -n "$(redis_port)" ]] && [[ "$(redis-cli -h 127.0.0.1 -p "$(redis_port)" ping 2>/dev/null)" == PONG ]]; }

cluster_ports() { cat "$CLUSTER_DIR/cluster.ports" 2>/dev/null || true; }
cluster_ok() {
  local ports; ports=$(cluster_ports)
  [[ -n "$ports" ]] || return 1
  for port in $ports; do
    redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

# A port that is free and whose cluster bus port (+10000) is free too.
free_cluster_port() {
  python3 -c '
import random, socket
for _ in range(200):
    port = random.randint(20000, 45000)
    try:
        for p in (port, port + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
    except OSError:
        continue
    print(port); break'
}

# The postgres user must reach the cluster; if this checkout is not traversable for it (a home directory with
# mode 700), the cluster lives in a temporary folder that .build/services/pg links to.
prepare_pg_dir() {
  mkdir -p "$STATE"
  if [[ ! -e "$PG_HOME" ]]; then
    if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$STATE"; then
      ln -s "$(mktemp -d /tmp/rally-pg.XXXXXX)" "$PG_HOME"
    else
      mkdir -p "$PG_HOME"
    fi
  fi
  mkdir -p "$(pg_data)"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres: "$(readlink -f "$PG_HOME")"; fi
  chmod 700 "$(readlink -f "$PG_HOME")" "$(pg_data)"
}

init_pg() {
  [[ -f "$(pg_data)/PG_VERSION" ]] && return
  [[ -x "$PG_BIN/initdb" ]] || fail "no PostgreSQL at $PG_BIN (apt-get install postgresql, or set RALLY_PG_BIN)"
  prepare_pg_dir
  local password; password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  local pwfile; pwfile=$(mktemp); echo "$password" > "$pwfile"; chmod 644 "$pwfile"
  as_pg_owner "$PG_BIN/initdb" -D "$(pg_data)" -U "$PG_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust --encoding=UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; fail "initdb failed, see $STATE/initdb.log"; }
  rm -f "$pwfile"
  echo "$password" > "$STATE/pg.password"; chmod 600 "$STATE/pg.password"
}

start_pg() {
  init_pg
  if pg_running; then return; fi
  local port; port=$(free_port); echo "$port" > "$STATE/pg.port"
  local log; log="$(readlink -f "$PG_HOME")/postgres.log"
  as_pg_owner "$PG_BIN/pg_ctl" -D "$(pg_data)" -l "$log" -w -t "$DEADLINE_SECONDS" start -o \
    "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c max_connections=300 \
     -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 || fail "postgres did not start, see $log"
  wait_until "postgres" "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres
}

start_redis() {
  if redis_running; then return; fi
  mkdir -p "$REDIS_DIR"
  local port; port=$(free_port); echo "$port" > "$STATE/redis.port"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save '' --appendonly no >&2
  wait_until "redis" redis_running
}

start_redis_cluster() {
  if cluster_ok; then return; fi
  stop_redis_cluster
  mkdir -p "$CLUSTER_DIR"
  local ports=() port
  for _ in 1 2 3; do
    port=$(free_cluster_port); [[ -n "$port" ]] || fail "no free port for the Redis Cluster"
    ports+=("$port")
    redis-server --port "$port" --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
      --cluster-node-timeout 2000 --save '' --appendonly no --bind 127.0.0.1 --daemonize yes \
      --dir "$CLUSTER_DIR" --pidfile "$CLUSTER_DIR/$port.pid" --logfile "$CLUSTER_DIR/$port.log" >&2
  done
  echo "${ports[*]}" > "$CLUSTER_DIR/cluster.ports"
  for port in "${ports[@]}"; do
    wait_until "redis cluster node $port" bash -c "[[ \$(redis-cli -p $port ping) == PONG ]]"
  done
  redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 \
    || fail "redis-cli --cluster create failed, see $CLUSTER_DIR/create.log"
  wait_until "redis cluster state ok" cluster_ok
}

stop_redis_cluster() {
  local pidfile pid
  for pidfile in "$CLUSTER_DIR"/*.pid; do
    [[ -f "$pidfile" ]] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      wait_until "redis cluster node to stop" bash -c "! kill -0 $pid"
    fi
    rm -f "$pidfile"
  done
  rm -f "$CLUSTER_DIR"/nodes-*.conf "$CLUSTER_DIR/cluster.ports"
}

write_env() {
  local password; password=$(cat "$STATE/pg.password")
  {
    echo "export RALLY_TEST_DATABASE_URL=postgres://$PG_USER:$password@127.0.0.1:$(pg_port)/postgres?sslmode=disable"
    echo "export RALLY_TEST_REDIS_URL=redis://127.0.0.1:$(redis_port)"
    echo "export RALLY_TEST_REDIS_CLUSTER_URL=redis://127.0.0.1:$(cluster_ports | cut -d' ' -f1)"
  } > "$ENV_FILE"
  cat "$ENV_FILE"
}

stop_all() {
  if pg_running; then
    as_pg_owner "$PG_BIN/pg_ctl" -D "$(pg_data)" -m fast -w -t "$DEADLINE_SECONDS" stop >&2
  fi
  if [[ -f "$REDIS_DIR/redis.pid" ]]; then
    local pid; pid=$(cat "$REDIS_DIR/redis.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      wait_until "redis to stop" bash -c "! kill -0 $pid"
    fi
    rm -f "$REDIS_DIR/redis.pid"
  fi
  stop_redis_cluster
  rm -f "$ENV_FILE"
  say "stopped"
}

case "${1:-}" in
  start) start_pg; start_redis; start_redis_cluster; write_env ;;
  env) pg_running && redis_running && cluster_ok || fail "not running; run scripts/services.sh start"; write_env ;;
  stop) stop_all ;;
  *) fail "usage: $0 start|env|stop" ;;
esac
