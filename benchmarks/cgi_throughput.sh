#!/usr/bin/env bash
# Requests per second of one trivial CGI handler (hello_cgi, static) served
# through hearth with full isolation (warm sandboxes, and cold: a sandbox
# built per request) beside lighttpd mod_cgi and nginx + fcgiwrap serving
# the same binary unsandboxed, measured in one run with the same load:
# wrk -t2 -c32 -d10s on loopback. Prints one row per server, and the
# ceiling no exec-per-request server can pass on this machine (the handler
# process's own CPU cost spread over the cores).
#
# Usage: benchmarks/cgi_throughput.sh [BUILD_DIR]   (make bench runs it)
# Environment: DURATION (wrk seconds, default 10), CONNECTIONS (default 32).
set -euo pipefail

build=$(realpath "${1:-build}")
# shellcheck source=benchmarks/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
duration=${DURATION:-$(quick && echo 2 || echo 10)}
connections=${CONNECTIONS:-32}
hearth=$build/apps/hearth
handler=$build/benchmarks/hello_cgi
for tool in wrk lighttpd nginx fcgiwrap curl; do
  command -v "$tool" > /dev/null || [ -x "/usr/sbin/$tool" ] || {
    echo "cgi_throughput: $tool missing (scripts/install-deps.sh bench installs it)" >&2
    exit 1
  }
done
export PATH=$PATH:/usr/sbin

work=$(mktemp -d /tmp/hearth-cgi-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  pkill -f "$work/fcgiwrap.sock" 2> /dev/null || true  # fcgiwrap's own workers
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

lighttpd_rate=""
declare -A rates
# Runs wrk against url; prints a row. The first argument names the server.
measure() {
  local name=$1 url=$2
  await_ok "$url"
  curl -s "$url" | grep -q "hello from cgi" || { echo "cgi_throughput: $name answered wrongly" >&2; return 1; }
  local out rate errors
  out=$(wrk -t2 -c"$connections" -d"${duration}s" "$url")
  rate=$(awk '/Requests\/sec:/ {print $2}' <<< "$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<< "$out")
  [ -n "$lighttpd_rate" ] || lighttpd_rate=$rate
  rates[$name]=$rate
  printf "%-40s %10.0f req/s %8s non-2xx  %5.2fx lighttpd\n" "$name" "$rate" "${errors:-0}" \
    "$(awk -v a="$rate" -v b="$lighttpd_rate" 'BEGIN {print a / b}')"
}

echo "CGI requests/s, wrk -t2 -c$connections -d${duration}s, handler $(basename "$handler") ($(nproc) cores)"

# lighttpd mod_cgi: one fork+exec per request, no isolation.
mkdir -p "$work/lighttpd/cgi-bin"
cp "$handler" "$work/lighttpd/cgi-bin/hello"
port=$(free_port)
cat > "$work/lighttpd.conf" << EOF
server.modules = ("mod_cgi")
server.document-root = "$work/lighttpd"
server.bind = "127.0.0.1"
server.port = $port
server.max-connections = 1024
server.errorlog = "$work/lighttpd.log"
cgi.assign = ("" => "")
EOF
lighttpd -D -f "$work/lighttpd.conf" &
pids+=($!)
measure "lighttpd mod_cgi (unsandboxed)" "http://127.0.0.1:$port/cgi-bin/hello"

# No server that starts a process per request can beat the handler's own
# process cost: its CPU per exec, spread over every core, with zero overhead.
read -r exec_ms ceiling <<< "$("$build/benchmarks/exec_ceiling" "$handler" "$(quick && echo 200 || echo 2000)")"
printf "%-40s %10.0f req/s %8s          %5.2fx lighttpd  (handler alone: %s ms CPU per exec)\n" \
  "ceiling: exec per request, no server" "$ceiling" "-" \
  "$(awk -v a="$ceiling" -v b="$lighttpd_rate" 'BEGIN {print a / b}')" "$exec_ms"

# nginx + fcgiwrap: fcgiwrap forks and execs the handler per request.
port=$(free_port)
fcgiwrap -c 4 -s "unix:$work/fcgiwrap.sock" &
pids+=($!)
nginx_conf "$work" "server {
    listen 127.0.0.1:$port;
    location /cgi-bin/hello {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $handler;
      fastcgi_pass unix:$work/fcgiwrap.sock;
    }
  }"
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
measure "nginx + fcgiwrap (unsandboxed)" "http://127.0.0.1:$port/cgi-bin/hello"

# hearth: every request a task in a fresh sandboxed process, recorded in RocksDB.
for mode in true false; do
  port=$(free_port)
  data="$work/hearth-$mode"
  "$hearth" serve --listen "127.0.0.1:$port" --data-dir "$data" --log-level warn --warm-sandboxes "$mode" \
    --max-running-tasks 16 &
  pids+=($!)
  await_ok "http://127.0.0.1:$port/health"
  hash=$("$hearth" offer --exe "$handler" --cgi --price 0 --name hello --key "@$data/node.key" \
    --upload "http://127.0.0.1:$port" | head -1)
  label="hearth, cold sandbox per request"
  [ "$mode" = true ] && label="hearth, warm sandbox (full isolation)"
  measure "$label" "http://127.0.0.1:$port/$hash.cgi/"
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2> /dev/null || true
  unset 'pids[-1]'
done

# What a server may spend per request beyond the handler's own process, all
# cores busy: cores / rate - the handler's CPU per exec.
cores=$(nproc)
beyond() { awk -v c="$cores" -v r="$1" -v h="$exec_ms" 'BEGIN {printf "%.3f", 1000 * c / r - h}'; }
echo
echo "CPU per request beyond the handler's own ${exec_ms} ms (cores / rate - handler):"
printf "  %-38s %s ms\n" "allowed for 1.5x lighttpd" "$(beyond "$(awk -v r="$lighttpd_rate" 'BEGIN {print 1.5 * r}')")"
for name in "lighttpd mod_cgi (unsandboxed)" "nginx + fcgiwrap (unsandboxed)" "hearth, warm sandbox (full isolation)"; do
  printf "  %-38s %s ms\n" "$name" "$(beyond "${rates[$name]}")"
done

warm=${rates["hearth, warm sandbox (full isolation)"]}
bench_row "CGI hello, warm sandbox, wrk -c$connections" req/s "$warm" "$lighttpd_rate" "lighttpd mod_cgi" higher '{"ratio_min": 1.0}'
bench_row "CGI hello, cold sandbox, wrk -c$connections" req/s "${rates["hearth, cold sandbox per request"]}" "$lighttpd_rate" \
  "lighttpd mod_cgi" higher
bench_row "CGI hello vs nginx + fcgiwrap, wrk -c$connections" req/s "$warm" "${rates["nginx + fcgiwrap (unsandboxed)"]}" \
  "nginx + fcgiwrap" higher
bench_row "CPU per CGI request beyond the handler's exec" ms "$(beyond "$warm")" "$(beyond "$lighttpd_rate")" \
  "lighttpd mod_cgi" lower '{"max": 0.40}'

