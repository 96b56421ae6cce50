#include "crypto/address.hpp"

#include <cctype>

#include "crypto/keccak.hpp"

namespace hearth::crypto {

std::string address::checksummed() const {
  std::string lower = to_hex(bytes);
  hash256 h = keccak256(lower);
  std::string out = "0x";
  for (std::size_t i = 0; i < lower.size(); ++i) {
    std::uint8_t nib = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 0xf;
    char c = lower[i];
    out += (nib >= 8 && c >= 'a') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

result<address> parse_address(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || text[1] != 'x')
    return fail(crypto_errc::bad_address, "an address is 0x followed by 40 hex digits");
  auto raw = from_hex_fixed<20>(text);
  if (!raw) return fail(crypto_errc::bad_address, "an address is 0x followed by 40 hex digits");
  address a{*raw};
  std::string_view digits = text.substr(2);
  bool has_lower = false, has_upper = false;
  for (char c : digits) {
    has_lower |= std::islower(static_cast<unsigned char>(c)) != 0;
    has_upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
  }
  if (has_lower && has_upper && a.checksummed() != text)
    return fail(crypto_errc::bad_address_checksum, "address has a wrong EIP-55 checksum");
  return a;
}

}  // namespace hearth::crypto
