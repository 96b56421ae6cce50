// What every fuzz target shares: the input as bytes and text, and a check
// that stops the run (a finding) when a property of the parser fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace hearth::fuzz {

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline void expect(bool property) {
  if (!property) std::abort();
}

}  // namespace hearth::fuzz
