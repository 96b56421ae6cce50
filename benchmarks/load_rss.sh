#!/usr/bin/env bash
# Sustained load on one node: wrk with 64 connections for DURATION seconds
# (60) in turn against a CGI offer (a sandboxed process per request), a
# deterministic offer answered from the task cache, and GET /health, beside
# nginx serving the same bytes as a static file under the same load. For
# each: requests/s, errors (socket errors and non-2xx answers, which must
# be 0), and the node's RSS before and after the run and at the end, so a
# leak shows as RSS that keeps growing from one run to the next.
#
# Usage: benchmarks/load_rss.sh [BUILD_DIR]   (make bench runs it)
# Environment: DURATION (wrk seconds, default 60), CONNECTIONS (default 64).
set -euo pipefail

build=$(realpath "${1:-build}")
# shellcheck source=benchmarks/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
duration=${DURATION:-$(quick && echo 2 || echo 60)}
connections=${CONNECTIONS:-64}
hearth=$build/apps/hearth
handler=$build/benchmarks/hello_cgi
export PATH=$PATH:/usr/sbin
for tool in wrk nginx curl; do
  command -v "$tool" > /dev/null || { echo "load_rss: $tool missing (scripts/install-deps.sh bench installs it)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hearth-load.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

rss_mb() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

status=0
declare -A rate_of
# One wrk run: name, url, pid whose RSS is watched (empty: none).
measure() {
  local name=$1 url=$2 pid=$3 before after out rate socket non2xx
  await_ok "$url"
  before=$([ -n "$pid" ] && rss_mb "$pid" || echo -)
  out=$(wrk -t2 -c"$connections" -d"${duration}s" "$url")
  after=$([ -n "$pid" ] && rss_mb "$pid" || echo -)
  rate=$(awk '/Requests\/sec:/ {print $2}' <<< "$out")
  rate_of[$name]=$rate
  socket=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<< "$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<< "$out")
  printf "%-44s %10.0f req/s  errors %6s  RSS %8s -> %8s MiB\n" "$name" "$rate" "$(( ${socket:-0} + ${non2xx:-0} ))" \
    "$before" "$after"
  [ "$(( ${socket:-0} + ${non2xx:-0} ))" -eq 0 ] || status=1
}

echo "Sustained load: wrk -t2 -c$connections -d${duration}s each ($(nproc) cores, $(uname -r))"

port=$(free_port)
data=$work/hearth
"$hearth" serve --listen "127.0.0.1:$port" --data-dir "$data" --log-level warn --max-running-tasks 16 &
node=$!
pids+=("$node")
await_ok "http://127.0.0.1:$port/health"
upload() { "$hearth" offer --exe "$handler" --cgi --price 0 --key "@$data/node.key" --upload "http://127.0.0.1:$port" "$@" 2> /dev/null | head -1; }
cgi=$(upload --name hello)
cached=$(upload --name hello-cached --deterministic)
start_rss=$(rss_mb "$node")

measure "hearth CGI offer (sandboxed process each)" "http://127.0.0.1:$port/$cgi.cgi/" "$node"
measure "hearth deterministic offer (task cache)" "http://127.0.0.1:$port/$cached.cgi/" "$node"
measure "hearth GET /health" "http://127.0.0.1:$port/health" "$node"
end_rss=$(rss_mb "$node")
echo "hearth RSS: ${start_rss} MiB after start, ${end_rss} MiB after all runs"

# The peer: nginx with the same bytes as a static file.
mkdir -p "$work/nginx/www"
curl -s "http://127.0.0.1:$port/$cached.cgi/" > "$work/nginx/www/hello"
nport=$(free_port)
nginx_conf "$work" "server { listen 127.0.0.1:$nport; root $work/nginx/www;
  location = /health { default_type application/json; return 200 '{\"status\":\"ok\"}'; } }"
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
measure "nginx static file, same bytes (peer)" "http://127.0.0.1:$nport/hello" ""
measure "nginx return 200 (peer)" "http://127.0.0.1:$nport/health" ""

c="wrk -c$connections ${duration}s"
bench_row "cache hit of a deterministic offer, $c" req/s "${rate_of["hearth deterministic offer (task cache)"]}" \
  "${rate_of["nginx static file, same bytes (peer)"]}" "nginx static file" higher '{"ratio_min": 0.5}'
bench_row "GET /health, $c" req/s "${rate_of["hearth GET /health"]}" "${rate_of["nginx return 200 (peer)"]}" \
  "nginx return 200" higher '{"ratio_min": 0.5}'
bench_row "CGI offer under sustained load, $c" req/s "${rate_of["hearth CGI offer (sandboxed process each)"]}" "" "" higher
bench_row "node RSS after the sustained runs" MiB "$end_rss" "" "" lower
exit $status
