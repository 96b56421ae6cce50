#include "crypto/sealed_box.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>

#include "crypto/random.hpp"

namespace hearth::crypto {
namespace {

constexpr std::size_t nonce_bytes = 12, tag_bytes = 16;

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

result<sealing_key> derive_sealing_key(const private_key& node_key, std::string_view label) {
  sealing_key out;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  std::size_t len = out.bytes.size();
  static constexpr std::string_view salt = "hearth sealed box v1";
  bool ok = ctx && EVP_PKEY_derive_init(ctx.get()) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) > 0 &&
            EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), u8(salt), static_cast<int>(salt.size())) > 0 &&
            EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), node_key.secret().data(), static_cast<int>(node_key.secret().size())) > 0 &&
            EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), u8(label), static_cast<int>(label.size())) > 0 &&
            EVP_PKEY_derive(ctx.get(), out.bytes.data(), &len) > 0;
  if (!ok) return fail(crypto_errc::crypto_error, "HKDF-SHA256 is not available");
  return out;
}

result<std::string> seal(const sealing_key& key, std::string_view plaintext, std::string_view aad) {
  std::string out(nonce_bytes + plaintext.size() + tag_bytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (auto filled = random_fill(bytes, nonce_bytes); !filled) return filled.error();
  cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes.data(), bytes) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), bytes + nonce_bytes, &len, u8(plaintext), static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), bytes + nonce_bytes + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_bytes, bytes + nonce_bytes + plaintext.size()) == 1;
  if (!ok) return fail(crypto_errc::crypto_error, "AES-256-GCM sealing failed");
  return out;
}

result<std::string> open_sealed(const sealing_key& key, std::string_view sealed, std::string_view aad) {
  if (sealed.size() < nonce_bytes + tag_bytes) return fail(crypto_errc::sealed_box_invalid, "a sealed secret is too short");
  std::size_t n = sealed.size() - nonce_bytes - tag_bytes;
  std::string out(n, '\0');
  auto* plain = reinterpret_cast<unsigned char*>(out.data());
  std::string tag(sealed.substr(nonce_bytes + n));
  cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes.data(), u8(sealed)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), plain, &len, u8(sealed) + nonce_bytes, static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_bytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), plain + len, &len) == 1;
  if (!ok) {
    secure_wipe(out.data(), out.size());
    return fail(crypto_errc::sealed_box_invalid, "a sealed secret does not open (altered, or another node key)");
  }
  return out;
}

}  // namespace hearth::crypto
