// The node's counts for GET /metrics as plain values: an event an actor
// reports to the metrics registry (actors/metrics_registry), one sample of a
// scrape, and a fixed-bucket latency histogram that the hot paths (the HTTP
// sessions, the sandbox launches) bump without a message or a lock.
#pragma once

#include <caf/meta/type_name.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace hearth {

// Adds value to family{labels}. labels is Prometheus's text inside the
// braces (`ending="exited"`), its values already escaped by whoever counts.
struct metric_event {
  std::string family;
  std::string labels;
  double value = 1;
};

struct metric_sample {
  std::string family;  // the sample's own name (a histogram's _bucket, _sum, _count)
  std::string labels;
  double value = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_event& x) {
  return f(caf::meta::type_name("metric_event"), x.family, x.labels, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_sample& x) {
  return f(caf::meta::type_name("metric_sample"), x.family, x.labels, x.value);
}

// Seconds, from 100 µs to 10 s: a warm launch to a slow request.
inline constexpr std::array<double, 14> latency_bounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                          0.025,  0.05,    0.1,    0.25,  0.5,    1,     10};

class latency_histogram {
 public:
  void record(double secs) {
    std::size_t i = 0;
    while (i < latency_bounds.size() && secs > latency_bounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<std::uint64_t>(secs * 1e6), std::memory_order_relaxed);
  }

  // Samples of family (its _bucket{le=...}, _sum and _count), labels before le.
  void append_to(std::vector<metric_sample>& out, const std::string& family, const std::string& labels) const {
    std::string prefix = labels.empty() ? "" : labels + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= latency_bounds.size(); ++i) {
      cumulative += buckets_[i].load(std::memory_order_relaxed);
      std::string le = i < latency_bounds.size() ? bound_text(latency_bounds[i]) : "+Inf";
      out.push_back({family + "_bucket", prefix + "le=\"" + le + "\"", static_cast<double>(cumulative)});
    }
    out.push_back({family + "_sum", labels, static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6});
    out.push_back({family + "_count", labels, static_cast<double>(cumulative)});
  }

  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
    return n;
  }

 private:
  static std::string bound_text(double b) {
    std::string s = std::to_string(b);  // 0.000100
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }
  std::array<std::atomic<std::uint64_t>, latency_bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_micros_{0};
};

}  // namespace hearth
