#!/bin/sh
# Start, stop or query nginx + Nchan on loopback for rally-loadtest.
#   loadtest/nchan/run.sh start   # prints the master pid
#   loadtest/nchan/run.sh pid     # the master pid (for --server-pid; workers are counted too)
#   loadtest/nchan/run.sh stop
# Environment: NCHAN_PREFIX (default /tmp/rally-nchan), NCHAN_PORT (8089), NCHAN_WORKERS (1 or auto).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=${NCHAN_PREFIX:-/tmp/rally-nchan}
port=${NCHAN_PORT:-8089}
workers=${NCHAN_WORKERS:-1}

master_pid() {
    [ -f "$prefix/nginx.pid" ] && kill -0 "$(cat "$prefix/nginx.pid")" 2>/dev/null && cat "$prefix/nginx.pid"
}

start() {
    if pid=$(master_pid); then echo "$pid"; return 0; fi
    mkdir -p "$prefix/logs" "$prefix/tmp"
    sed -e "s/127\.0\.0\.1:8089/127.0.0.1:$port/" -e "s/^worker_processes 1;/worker_processes $workers;/" \
        "$here/nginx.conf" > "$prefix/nginx.conf"
    # -e: the error log before the config is read (the default /var/log/nginx may not be writable).
    nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log"
    i=0
    while ! master_pid >/dev/null; do
        i=$((i + 1))
        [ "$i" -gt 100 ] && { echo "nginx did not start; see $prefix/logs/error.log" >&2; exit 1; }
        sleep 0.05
    done
    master_pid
}

stop() {
    if pid=$(master_pid); then
        kill -QUIT "$pid"
        i=0
        while kill -0 "$pid" 2>/dev/null; do
            i=$((i + 1))
            [ "$i" -gt 200 ] && { kill -TERM "$pid" 2>/dev/null || true; break; }
            sleep 0.05
        done
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    pid) master_pid || { echo "not running" >&2; exit 1; } ;;
    *) echo "usage: $0 start|stop|pid" >&2; exit 2 ;;
esac
