#include "net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace hearth::net {

rate_limiter::rate_limiter(double rate, double burst, std::size_t max_clients)
    : rate_(rate), burst_(std::max(1.0, burst)), max_clients_(std::max<std::size_t>(1, max_clients)) {}

void rate_limiter::refill(bucket& b, std::chrono::steady_clock::time_point now) const {
  double secs = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min(burst_, b.tokens + secs * rate_);
  b.at = now;
}

void rate_limiter::evict(std::chrono::steady_clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  while (buckets_.size() >= max_clients_) {  // all busy: the one with most tokens left goes
    auto fullest = std::max_element(buckets_.begin(), buckets_.end(),
                                    [](const auto& a, const auto& b) { return a.second.tokens < b.second.tokens; });
    buckets_.erase(fullest);
  }
}

bool rate_limiter::allow(const std::string& client, std::chrono::milliseconds* retry_after) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) evict(now);
    it = buckets_.emplace(client, bucket{burst_, now}).first;
  }
  refill(it->second, now);
  if (it->second.tokens >= 1) {
    it->second.tokens -= 1;
    return true;
  }
  if (retry_after)
    *retry_after = std::chrono::milliseconds(static_cast<long long>(std::ceil((1 - it->second.tokens) / rate_ * 1000)));
  return false;
}

}  // namespace hearth::net
