# What the shell benchmarks share (sourced): a free loopback port, a bounded
# wait for a URL to answer 200, and an nginx config of our own (no system
# paths written) around one server block.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (bounded, 10 s) until $1 answers with status 200.
await_ok() {
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): $1 never answered 200" >&2
  return 1
}

# nginx_conf WORK_DIR SERVER_BLOCK: writes WORK_DIR/nginx.conf (2 workers, temp files and logs in WORK_DIR/nginx).
nginx_conf() {
  mkdir -p "$1/nginx"
  cat > "$1/nginx.conf" << EOF_CONF
user root;
worker_processes 2;
pid $1/nginx.pid;
error_log $1/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $1/nginx; fastcgi_temp_path $1/nginx; proxy_temp_path $1/nginx;
  uwsgi_temp_path $1/nginx; scgi_temp_path $1/nginx;
  $2
}
EOF_CONF
}

# bench_row METRIC UNIT HEARTH PEER PEER_NAME BETTER [TARGET_JSON]: one row
# of make bench's table (benchmarks/report.py), appended to
# $HEARTH_BENCH_ROWS when set. PEER empty: none; BETTER higher or lower;
# TARGET_JSON e.g. '{"ratio_min": 1}' or '{"max": 0.4}'.
bench_row() {
  [ -n "${HEARTH_BENCH_ROWS:-}" ] || return 0
  python3 -c 'import json, sys
m, u, h, p, pn, b, t, bench = sys.argv[1:9]
num = lambda x: float(x) if x not in ("", "-") else None
print(json.dumps({"metric": m, "unit": u, "hearth": num(h), "peer": num(p), "peer_name": pn or None,
                  "better": b, "target": json.loads(t) if t else None, "bench": bench}))' \
    "$1" "$2" "$3" "$4" "$5" "$6" "${7:-}" "$(basename "$0")" >> "$HEARTH_BENCH_ROWS"
}

# BENCH_QUICK=1 (CI): short runs that only show the benchmarks still work.
quick() { [ "${BENCH_QUICK:-}" = 1 ]; }
