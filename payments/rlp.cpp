#include "payments/rlp.hpp"

namespace hearth::payments::rlp {
namespace {

void put_length(crypto::bytes& out, std::size_t size, std::uint8_t short_base, std::uint8_t long_base) {
  if (size <= 55) {
    out.push_back(static_cast<std::uint8_t>(short_base + size));
    return;
  }
  std::uint8_t be[8];
  int n = 0;
  for (std::size_t s = size; s; s >>= 8) be[n++] = static_cast<std::uint8_t>(s & 0xff);
  out.push_back(static_cast<std::uint8_t>(long_base + n));
  while (n) out.push_back(be[--n]);
}

}  // namespace

crypto::bytes encode_string(const std::uint8_t* data, std::size_t size) {
  crypto::bytes out;
  if (size == 1 && data[0] < 0x80) {
    out.push_back(data[0]);
    return out;
  }
  out.reserve(size + 9);
  put_length(out, size, 0x80, 0xb7);
  out.insert(out.end(), data, data + size);
  return out;
}

crypto::bytes encode_uint(const crypto::hash256& big_endian) {
  std::size_t first = 0;
  while (first < big_endian.size() && big_endian[first] == 0) ++first;
  return encode_string(big_endian.data() + first, big_endian.size() - first);
}

crypto::bytes encode_uint(std::uint64_t value) {
  crypto::hash256 be{};
  for (int i = 31; value; --i, value >>= 8) be[i] = static_cast<std::uint8_t>(value & 0xff);
  return encode_uint(be);
}

crypto::bytes encode_list(const std::vector<crypto::bytes>& items) {
  std::size_t payload = 0;
  for (const auto& i : items) payload += i.size();
  crypto::bytes out;
  out.reserve(payload + 9);
  put_length(out, payload, 0xc0, 0xf7);
  for (const auto& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}

}  // namespace hearth::payments::rlp
