// Recursive Length Prefix, the byte encoding of Ethereum transactions: byte
// strings, minimal big-endian integers (zero is the empty string) and lists.
#pragma once

#include <cstdint>
#include <vector>

#include "crypto/bytes.hpp"

namespace hearth::payments::rlp {

crypto::bytes encode_string(const std::uint8_t* data, std::size_t size);
inline crypto::bytes encode_string(const crypto::bytes& b) { return encode_string(b.data(), b.size()); }
// Leading zero bytes dropped: 0 encodes as 0x80, 1 as 0x01, 128 as 0x8180.
crypto::bytes encode_uint(const crypto::hash256& big_endian);
crypto::bytes encode_uint(std::uint64_t value);
// Each item already encoded.
crypto::bytes encode_list(const std::vector<crypto::bytes>& items);

}  // namespace hearth::payments::rlp
