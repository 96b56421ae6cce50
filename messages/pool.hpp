// The operator's free-tier pools as plain values: a pool's capacity (calls
// per period, or runs at once) and its use, as /health and the index show it.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace hearth {

struct pool_use {
  std::string name;
  std::uint64_t capacity = 0;
  std::uint64_t period_secs = 0;  // 0: capacity counts runs at once; else calls per period
  std::uint64_t in_use = 0;       // runs now (concurrent pools) or calls this period
  std::uint64_t free_calls = 0;   // calls the pool made free since the node started
  std::uint64_t full_calls = 0;   // calls that found it full (and paid the price)
  std::int64_t period_ends_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_use& x) {
  return f(caf::meta::type_name("pool_use"), x.name, x.capacity, x.period_secs, x.in_use, x.free_calls, x.full_calls,
           x.period_ends_at_ms);
}

}  // namespace hearth
