#include "crypto/key_derive.hpp"

#include <openssl/evp.h>

#include <string>

#include "crypto/keccak.hpp"

namespace hearth::crypto {
namespace {

result<private_key> key_from_material(const std::uint8_t* data, std::size_t size, std::string_view ns) {
  keccak256_hasher h;
  h.update(data, size);
  h.update(ns);
  hash256 secret = h.finish();
  for (int round = 0; round < 64; ++round) {
    auto key = private_key::from_secret(secret);
    if (key) {
      secure_wipe(secret.data(), secret.size());
      return key;
    }
    secret = keccak256(secret.data(), secret.size());
  }
  return fail(crypto_errc::derive_failed, "no valid key after 64 rounds");
}

}  // namespace

result<private_key> derive_from_key(const private_key& parent, std::string_view ns) {
  return key_from_material(parent.secret().data(), parent.secret().size(), ns);
}

result<private_key> derive_from_passphrase(std::string_view passphrase, std::string_view ns) {
  if (passphrase.empty()) return fail(crypto_errc::empty_passphrase, "the passphrase is empty");
  std::string salt = "hearth/key-derive/v1:" + std::string(ns);
  hash256 seed{};
  if (PKCS5_PBKDF2_HMAC(passphrase.data(), static_cast<int>(passphrase.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        passphrase_iterations, EVP_sha256(), static_cast<int>(seed.size()), seed.data()) != 1)
    return fail(crypto_errc::crypto_error, "PBKDF2 failed");
  auto key = key_from_material(seed.data(), seed.size(), ns);
  secure_wipe(seed.data(), seed.size());
  return key;
}

}  // namespace hearth::crypto
