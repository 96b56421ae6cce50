#include "crypto/secp256k1_key.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/keccak.hpp"

namespace hearth::crypto {
namespace {

// One context for the process; libsecp256k1 contexts are safe to share for
// signing and verification once created and randomised.
const secp256k1_context* context() {
  static secp256k1_context* ctx = [] {
    auto* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    unsigned char seed[32];
    if (RAND_bytes(seed, sizeof seed) == 1 && !secp256k1_context_randomize(c, seed)) {
      // Randomisation only hardens against side channels; the context still works.
    }
    secure_wipe(seed, sizeof seed);
    return c;
  }();
  return ctx;
}

// n/2 of secp256k1, big-endian: an s above it is the malleable twin.
constexpr std::uint8_t half_order[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

// Ethereum address: the last 20 bytes of keccak256 of the uncompressed point.
address address_of(const secp256k1_pubkey& pub) {
  std::uint8_t serialized[65];
  std::size_t len = sizeof serialized;
  secp256k1_ec_pubkey_serialize(context(), serialized, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
  hash256 h = keccak256(serialized + 1, 64);
  address a;
  std::memcpy(a.bytes.data(), h.data() + 12, 20);
  return a;
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

}  // namespace

std::array<std::uint8_t, 65> signature::to_bytes() const {
  std::array<std::uint8_t, 65> out{};
  std::memcpy(out.data(), r.data(), 32);
  std::memcpy(out.data() + 32, s.data(), 32);
  out[64] = v;
  return out;
}

std::string signature::to_0x() const { return "0x" + to_hex(to_bytes()); }

result<signature> signature::from_bytes(const std::uint8_t* data, std::size_t size) {
  if (size != 65) return fail(crypto_errc::bad_signature, "a signature is 65 bytes (r, s, v)");
  signature sig;
  std::memcpy(sig.r.data(), data, 32);
  std::memcpy(sig.s.data(), data + 32, 32);
  std::uint8_t v = data[64];
  if (v == 0 || v == 1) v = static_cast<std::uint8_t>(v + 27);
  if (v != 27 && v != 28) return fail(crypto_errc::bad_signature_v, "signature v must be 27/28 (or 0/1)");
  sig.v = v;
  if (std::memcmp(sig.s.data(), half_order, 32) > 0)
    return fail(crypto_errc::high_s_signature, "signature s is in the upper half of the curve order");
  return sig;
}

result<private_key> private_key::from_secret(const hash256& secret) {
  if (secp256k1_ec_seckey_verify(context(), secret.data()) != 1)
    return fail(crypto_errc::bad_key, "not a valid secp256k1 private key");
  return private_key(secret);
}

result<private_key> private_key::generate() {
  hash256 secret{};
  for (int attempt = 0; attempt < 16; ++attempt) {
    if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1)
      return fail(crypto_errc::rng_failure, "the OS random generator failed");
    auto key = from_secret(secret);
    secure_wipe(secret.data(), secret.size());
    if (key) return key;
  }
  return fail(crypto_errc::rng_failure, "could not draw a valid key");
}

result<private_key> private_key::from_hex(std::string_view hex) {
  auto secret = from_hex_fixed<32>(hex);
  if (!secret) return fail(crypto_errc::bad_key, "a private key is 32 bytes of hex");
  auto key = from_secret(*secret);
  secure_wipe(secret->data(), secret->size());
  return key;
}

result<private_key> private_key::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(crypto_errc::key_file_unreadable, path + ": " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = trim(buffer.str());
  auto key = from_hex(text);
  secure_wipe(text.data(), text.size());
  if (!key) return fail(crypto_errc::bad_key, path + " does not hold a 32-byte hex private key");
  return key;
}

result<private_key> private_key::load(std::string_view spec) {
  if (!spec.empty() && spec[0] == '@') return load_file(std::string(spec.substr(1)));
  return from_hex(spec);
}

result<void> private_key::save_new(const std::string& path) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return fail(crypto_errc::key_file_exists, path + " already exists; refusing to overwrite");
    return fail(crypto_errc::key_file_unwritable, path + ": " + std::strerror(errno));
  }
  std::string text = "0x" + to_hex(secret_) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  secure_wipe(text.data(), text.size());
  if (!ok) {
    ::unlink(path.c_str());
    return fail(crypto_errc::key_file_unwritable, path + ": write failed");
  }
  return {};
}

address private_key::to_address() const {
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_create(context(), &pub, secret_.data())) {
    // Unreachable: the secret was verified when the key was made.
  }
  return address_of(pub);
}

signature private_key::sign_digest(const hash256& digest) const {
  secp256k1_ecdsa_recoverable_signature rsig;
  (void)secp256k1_ecdsa_sign_recoverable(context(), &rsig, digest.data(), secret_.data(), nullptr, nullptr);
  std::uint8_t compact[64];
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recid, &rsig);
  signature sig;
  std::memcpy(sig.r.data(), compact, 32);
  std::memcpy(sig.s.data(), compact + 32, 32);
  sig.v = static_cast<std::uint8_t>(27 + recid);
  return sig;
}

result<address> recover_address(const hash256& digest, const signature& sig) {
  std::uint8_t compact[64];
  std::memcpy(compact, sig.r.data(), 32);
  std::memcpy(compact + 32, sig.s.data(), 32);
  secp256k1_ecdsa_recoverable_signature rsig;
  if (sig.v < 27 || sig.v > 28 ||
      secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rsig, compact, sig.v - 27) != 1)
    return fail(crypto_errc::bad_signature, "signature does not parse");
  secp256k1_pubkey pub;
  if (secp256k1_ecdsa_recover(context(), &pub, &rsig, digest.data()) != 1)
    return fail(crypto_errc::bad_signature, "no public key recovers from this signature");
  return address_of(pub);
}

}  // namespace hearth::crypto
