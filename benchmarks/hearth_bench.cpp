// Prints hearth's figures beside a peer measured in the same run:
// Keccak-256 against Crypto++'s Keccak_256, address recovery against a bare
// libsecp256k1 recover + keccak loop, and a sandboxed /bin/true (launch to
// exit, cold and from a warm sandbox) against bubblewrap doing the same with
// comparable namespaces and against a plain unsandboxed fork+exec.
// Each measurement is bounded (about 0.5 s, or 40 launches).
#include <cryptopp/keccak.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "bench_rows.hpp"
#include "crypto/keccak.hpp"
#include "crypto/base64.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/uint256.hpp"
#include "payments/exact_evm.hpp"
#include "sandbox/runner.hpp"

extern char** environ;

using namespace hearth::crypto;
using steady = std::chrono::steady_clock;

namespace {

volatile std::uint8_t sink;

// Calls op in batches until budget passes; returns operations per second.
double rate(const std::function<void()>& op) {
  auto budget = std::chrono::milliseconds(hearth::bench::quick() ? 50 : 500);
  auto start = steady::now();
  std::uint64_t n = 0;
  while (steady::now() - start < budget) {
    for (int i = 0; i < 64; ++i) op();
    n += 64;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(steady::now() - start).count();
}

void row(const std::string& what, double ours, double peer, const char* unit, const std::string& peer_name) {
  std::printf("%-36s %14.0f %14.0f %-8s %6.2fx\n", what.c_str(), ours, peer, unit, ours / peer);
  hearth::bench::row(what, unit, ours, peer, peer_name, hearth::bench::better::higher);
}

// Median milliseconds of n runs of op.
double median_ms(int n, const std::function<bool()>& op) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    auto start = steady::now();
    if (!op()) return -1;
    ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double spawn_ms(int n, const std::vector<std::string>& args) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (::access(argv[0], X_OK) != 0) return -1;
  return median_ms(n, [&] {
    pid_t pid;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return false;
    int status = 0;
    return ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  });
}

// Lower is better here: the ratio is peer / hearth, so > 1 means hearth is faster.
void latency_row(const std::string& what, double ours, double peer, const std::string& peer_name) {
  hearth::bench::row(what, "ms", ours, peer, peer_name, hearth::bench::better::lower);
  if (ours < 0) return void(std::printf("%-36s %14s\n", what.c_str(), "failed"));
  if (peer < 0) return void(std::printf("%-36s %14.2f %14s %-8s\n", what.c_str(), ours, "n/a", "ms"));
  std::printf("%-36s %14.2f %14.2f %-8s %6.2fx\n", what.c_str(), ours, peer, "ms", peer / ours);
}

void sandbox_rows() {
  const int n = hearth::bench::quick() ? 5 : 40;
  hearth::sandbox::launch_spec spec;
  spec.executable = "/bin/true";
  hearth::sandbox::warm_pool pool;
  auto sandboxed = [&](hearth::sandbox::warm_pool* p) {
    return median_ms(n, [&] {
      auto r = hearth::sandbox::run(spec, {}, p);
      return r && r->how == hearth::sandbox::ending::exited;
    });
  };
  double cold = sandboxed(nullptr);
  double warm = sandboxed(&pool);
  double bwrap = spawn_ms(n, {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                              "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/lib", "/lib", "--symlink",
                              "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "/bin/true"});
  double plain = spawn_ms(n, {"/bin/true"});
  latency_row("/bin/true cold sandbox (vs bwrap)", cold, bwrap, "bwrap");
  latency_row("/bin/true warm sandbox (vs bwrap)", warm, bwrap, "bwrap");
  latency_row("/bin/true warm sandbox (vs fork+exec)", warm, plain, "fork+exec");
}

// A full x402 payment check: base64 + JSON decode, EIP-712 digest,
// recovery and every field check, against the bare recover loop's rate.
void payment_row(double bare_rate) {
  using namespace hearth::payments;
  requirement r;
  r.net = find_network("base-sepolia");
  r.amount = *parse_uint256("10000");
  r.pay_to = *parse_address("0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
  authorization a{*parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), r.pay_to, r.amount,
                  *parse_uint256("1740672089"), *parse_uint256("1740672154"), {}};
  auto key = private_key::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  auto sig = key->sign_digest(transfer_digest(domain_separator(*r.net), a)).to_0x();
  nlohmann::json payload = {{"x402Version", 1}, {"scheme", "exact"}, {"network", "base-sepolia"},
                            {"payload", {{"signature", sig},
                                         {"authorization", {{"from", a.from.checksummed()}, {"to", a.to.checksummed()},
                                                            {"value", "10000"}, {"validAfter", "1740672089"},
                                                            {"validBefore", "1740672154"},
                                                            {"nonce", "0x" + std::string(64, '0')}}}}}};
  std::string header = base64_encode(payload.dump());
  bool all_valid = true;
  double ours = rate([&] {
    auto p = decode_payment(header);
    all_valid = all_valid && p && verify(*p, r, 1740672100).valid;
  });
  if (!all_valid) return void(std::printf("%-36s %14s\n", "x402 payment verify (vs bare loop)", "failed"));
  row("x402 payment verify (vs bare loop)", ours, bare_rate, "ops/s", "bare recover loop");
  // The same header through viem (node), when the npm test clients are installed.
  std::string cmd = "node " HEARTH_SOURCE_DIR "/benchmarks/viem_verify.mjs " + header + " 2>/dev/null";
  double viem = -1;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char line[64] = {};
    if (std::fgets(line, sizeof line, f)) viem = std::atof(line);
    ::pclose(f);
  }
  if (viem > 0) row("x402 payment verify (vs viem)", ours, viem, "ops/s", "viem");
  else {
    std::printf("%-36s %14.0f %14s\n", "x402 payment verify (vs viem)", ours, "n/a");
    hearth::bench::row("x402 payment verify (vs viem)", "ops/s", ours, std::nullopt, "viem", hearth::bench::better::higher);
  }
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
    row("keccak256 " + std::to_string(size) + " B (vs Crypto++)", ours * mb, peer * mb, "MB/s", "Crypto++");
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
  row("recover address (vs bare C loop)", ours, peer, "ops/s", "libsecp256k1 loop");
  payment_row(peer);

  sandbox_rows();
  return 0;
}
