// Wall-clock time as stored in records: milliseconds since the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>

namespace hearth {

inline std::int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Seconds, as x402 authorizations and offers count them.
inline std::uint64_t unix_secs() { return static_cast<std::uint64_t>(unix_ms() / 1000); }

}  // namespace hearth
