// A token bucket per client address, for the endpoints anyone may call that
// cost the node work or storage (the facilitator's /verify and /settle): a
// client gets `rate` requests a second with bursts up to `burst`, then 429
// rate_limited. Shared by the edge's threads; the number of addresses
// tracked is bounded (the fullest buckets, whose clients are quiet, go first).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hearth::net {

class rate_limiter {
 public:
  rate_limiter(double rate, double burst, std::size_t max_clients = 10000);
  // Takes one token for client; false (and how long until one is back) when none is left.
  bool allow(const std::string& client, std::chrono::milliseconds* retry_after = nullptr);

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  void refill(bucket& b, std::chrono::steady_clock::time_point now) const;
  void evict(std::chrono::steady_clock::time_point now);
  double rate_, burst_;
  std::size_t max_clients_;
  std::mutex mu_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace hearth::net
