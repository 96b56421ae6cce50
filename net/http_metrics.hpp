// The HTTP edge's own counts for /metrics: requests by route and status and
// their latency by route (request read to response header), as the sessions
// answer them. A route is the path's shape ("/offers/{id}"), never the path
// itself: what a client sends cannot add series.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/metrics.hpp"

namespace hearth::net {

// "/offers/{id}", "/{offer}.cgi", "/couch/guests/{id}/usage", "other", ...
std::string route_of(std::string_view path);

class http_metrics {
 public:
  void record(const std::string& route, unsigned status, double secs);
  void append_to(std::vector<metric_sample>& out) const;

  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over the node's or one address's share
  std::function<std::size_t()> open_connections;  // set by the server counted

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, latency_histogram> latency_;
};

}  // namespace hearth::net
