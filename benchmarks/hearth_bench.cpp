// Prints throughput of hearth's crypto hot paths beside a peer measured in
// the same run: Keccak-256 against Crypto++'s Keccak_256, and address
// recovery against a bare libsecp256k1 recover + keccak loop.
// Each measurement runs for a bounded time (about 0.5 s).
#include <cryptopp/keccak.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "crypto/keccak.hpp"
#include "crypto/secp256k1_key.hpp"

using namespace hearth::crypto;
using steady = std::chrono::steady_clock;

namespace {

volatile std::uint8_t sink;

// Calls op in batches until budget passes; returns operations per second.
double rate(const std::function<void()>& op, std::chrono::milliseconds budget = std::chrono::milliseconds(500)) {
  auto start = steady::now();
  std::uint64_t n = 0;
  while (steady::now() - start < budget) {
    for (int i = 0; i < 64; ++i) op();
    n += 64;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(steady::now() - start).count();
}

void row(const std::string& what, double ours, double peer, const char* unit) {
  std::printf("%-36s %14.0f %14.0f %-8s %6.2fx\n", what.c_str(), ours, peer, unit, ours / peer);
}

}  // namespace

int main() {
  std::printf("%-36s %14s %14s %-8s %7s\n", "benchmark", "hearth", "peer", "unit", "ratio");

  for (std::size_t size : {32u, 64u, 136u, 1024u, 65536u}) {
    std::string data(size, 'x');
    double ours = rate([&] { sink = keccak256(data)[0]; });
    double peer = rate([&] {
      CryptoPP::Keccak_256 h;
      std::uint8_t out[32];
      h.CalculateDigest(out, reinterpret_cast<const CryptoPP::byte*>(data.data()), data.size());
      sink = out[0];
    });
    double mb = static_cast<double>(size) / 1e6;
    row("keccak256 " + std::to_string(size) + " B (vs Crypto++)", ours * mb, peer * mb, "MB/s");
  }

  auto key = private_key::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  hash256 digest = keccak256("benchmark digest");
  auto sig = key->sign_digest(digest);
  double ours = rate([&] { sink = recover_address(digest, sig)->bytes[0]; });

  auto* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  std::uint8_t compact[64];
  std::memcpy(compact, sig.r.data(), 32);
  std::memcpy(compact + 32, sig.s.data(), 32);
  double peer = rate([&] {
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pub;
    std::uint8_t ser[65];
    std::size_t len = sizeof ser;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, compact, sig.v - 27) ||
        !secp256k1_ecdsa_recover(ctx, &pub, &rs, digest.data()))
      return;
    secp256k1_ec_pubkey_serialize(ctx, ser, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    CryptoPP::Keccak_256 h;
    std::uint8_t out[32];
    h.CalculateDigest(out, ser + 1, 64);
    sink = out[12];
  });
  secp256k1_context_destroy(ctx);
  row("recover address (vs bare C loop)", ours, peer, "ops/s");
  return 0;
}
