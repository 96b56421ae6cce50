// secp256k1 private keys, recoverable signatures (RFC 6979, low-s, v 27/28)
// and public-key recovery, on libsecp256k1. A key's secret is wiped on destruction.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"

namespace hearth::crypto {

struct signature {
  hash256 r{};
  hash256 s{};
  std::uint8_t v = 27;  // 27 or 28

  std::array<std::uint8_t, 65> to_bytes() const;  // r || s || v
  std::string to_0x() const;
  // Accepts v as 27/28 or 0/1 (normalised to 27/28); rejects high-s.
  static result<signature> from_bytes(const std::uint8_t* data, std::size_t size);
};

class private_key {
 public:
  static result<private_key> generate();  // from the OS CSPRNG
  static result<private_key> from_secret(const hash256& secret);
  static result<private_key> from_hex(std::string_view hex);
  // "0x<hex>", "<hex>" or "@path" (a file holding the hex), as os402's --key.
  static result<private_key> load(std::string_view spec);
  static result<private_key> load_file(const std::string& path);

  private_key(const private_key& other) : secret_(other.secret_) {}
  private_key& operator=(const private_key& other) = default;
  ~private_key() { secure_wipe(secret_.data(), secret_.size()); }

  // Writes "0x<hex>\n" to a new file, mode 0600; never overwrites.
  result<void> save_new(const std::string& path) const;

  const hash256& secret() const { return secret_; }
  address to_address() const;
  signature sign_digest(const hash256& digest) const;

 private:
  explicit private_key(const hash256& secret) : secret_(secret) {}
  hash256 secret_;
};

result<address> recover_address(const hash256& digest, const signature& sig);

}  // namespace hearth::crypto
