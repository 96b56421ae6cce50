#include "storage/address_bytes.hpp"

#include <algorithm>

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"

namespace hearth::storage {

std::string address_raw(const std::string& text) {
  auto a = crypto::parse_address(text);
  return a ? std::string(a->bytes.begin(), a->bytes.end()) : std::string();
}

std::string address_text(const std::string& raw) {
  if (raw.size() != 20) return "";
  crypto::address a;
  std::copy(raw.begin(), raw.end(), a.bytes.begin());
  return a.checksummed();
}

std::string raw_of_hex(const std::string& hex) {
  auto b = crypto::from_hex(hex);
  return b ? std::string(b->begin(), b->end()) : std::string();
}

}  // namespace hearth::storage
