// How stored records keep addresses and hashes: raw bytes in Cap'n Proto
// Data fields, EIP-55 or 0x-hex text in the plain message structs.
#pragma once

#include <string>

namespace hearth::storage {

std::string address_raw(const std::string& text);  // 20 bytes; empty when not an address
std::string address_text(const std::string& raw);  // EIP-55; empty when not 20 bytes
std::string raw_of_hex(const std::string& hex);    // the bytes; empty when not hex

}  // namespace hearth::storage
