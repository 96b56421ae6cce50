#include "net/http_metrics.hpp"

#include <array>

namespace hearth::net {
namespace {

// The path segments the node's routes name; any other segment is a value.
constexpr std::array<std::string_view, 38> route_words = {
    "activate", "cluster", "couch",   "exec",     "extend",    "facilitator", "guest",  "guests",
    "health",   "invites", "jobs",    "market",   "mcp",       "metrics",     "offers", "online",
    "openapi.json", "payments", "private", "redeem", "sellers", "settle", "ssh", "status", "stderr",
    "stdout",   "submit",  "supported", "tasks",  "terminal",  "usage",       "verify", "ui",
    "ledger",   "events",  "discovery", "resources", "kill"};

bool is_route_word(std::string_view s) {
  for (auto w : route_words)
    if (w == s) return true;
  return false;
}

}  // namespace

std::string route_of(std::string_view path) {
  if (path == "/") return "/";
  if (path.empty() || path[0] != '/') return "other";
  std::string out;
  std::size_t at = 1, segments = 0;
  while (at <= path.size()) {
    auto end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    auto seg = path.substr(at, end - at);
    if (segments == 0) {
      if (seg.size() > 4 && seg.substr(seg.size() - 4) == ".cgi") return "/{offer}.cgi";
      if (!is_route_word(seg)) return "other";
    }
    if (++segments > 4) return out + "/...";
    if (!seg.empty() || end < path.size()) out += "/" + std::string(is_route_word(seg) ? seg : "{id}");
    at = end + 1;
  }
  return out;
}

void http_metrics::record(const std::string& route, unsigned status, double secs) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  latency_[route].record(secs);
}

void http_metrics::append_to(std::vector<metric_sample>& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [key, n] : requests_)
    out.push_back({"hearth_http_requests_total", "route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"",
                   static_cast<double>(n)});
  for (const auto& [route, h] : latency_) h.append_to(out, "hearth_http_request_duration_seconds", "route=\"" + route + "\"");
  out.push_back({"hearth_http_connections_accepted_total", "", static_cast<double>(connections_accepted.load())});
  out.push_back({"hearth_http_connections_refused_total", "", static_cast<double>(connections_refused.load())});
  if (open_connections) out.push_back({"hearth_http_open_connections", "", static_cast<double>(open_connections())});
}

}  // namespace hearth::net
