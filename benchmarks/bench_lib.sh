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
