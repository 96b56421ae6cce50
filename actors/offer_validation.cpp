#include "actors/offer_validation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "crypto/personal_sign.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "payments/challenge.hpp"
#include "payments/networks.hpp"
#include "sandbox/elf_arch.hpp"
#include "storage/offer_codec.hpp"

namespace hearth::actors {

std::string offer_hash_hex(const std::string& canonical) { return crypto::to_hex(crypto::sha256(canonical)); }

result<stored_offer> verify_signed_offer(const std::string& canonical, const std::string& signature,
                                         const offer_policy& policy) {
  auto body = storage::decode_uploaded_offer(canonical);
  if (!body) return body.error();
  const offer& o = *body;
  if (o.version == 0 || o.version > offer_version)
    return fail(offer_errc::offer_version_unsupported, "offer version " + std::to_string(o.version) +
                                                           " is newer than this node understands (up to " +
                                                           std::to_string(offer_version) + "): upgrade the node");
  if (auto presets = check_presets(o); !presets) return presets.error();
  if (auto v3 = check_version3(o); !v3) return v3.error();
  if (o.executable_sha256.size() != 32 || o.owner.size() != 20 || o.pay_to.size() != 20)
    return fail(offer_errc::bad_offer, "executableSha256 is 32 bytes, owner and payTo 20 bytes each");
  if (o.mode != offer_mode::cgi && o.mode != offer_mode::mcp && o.mode != offer_mode::batch)
    return fail(offer_errc::bad_offer, "unknown offer mode");
  if (o.pay_to == std::string(20, '\0')) return fail(offer_errc::bad_offer, "payTo is the zero address");
  if (o.price_per_call != 0 && o.price_per_second != 0)
    return fail(offer_errc::bad_offer, "an offer is priced per call or per second, not both");
  if (o.mode == offer_mode::mcp)
    if (auto bad = check_tool_manifest(o.manifest); !bad) return bad.error();

  std::string hash = offer_hash_hex(canonical);
  auto sig = crypto::signature::from_bytes(reinterpret_cast<const std::uint8_t*>(signature.data()), signature.size());
  if (!sig) return fail(offer_errc::bad_offer_signature, sig.error().message);
  auto digest = crypto::personal_message_digest(crypto::sha256(canonical));
  auto signer = crypto::recover_address(digest, *sig);
  if (!signer) return fail(offer_errc::bad_offer_signature, signer.error().message);
  crypto::address owner;
  std::copy(o.owner.begin(), o.owner.end(), owner.bytes.begin());
  if (*signer != owner)
    return fail(offer_errc::bad_offer_signature, "the signature recovers to " + signer->checksummed() + ", not the offer's owner " +
                                           owner.checksummed() + " (tampered offer?)");
  if (std::find(policy.accepted_owners.begin(), policy.accepted_owners.end(), owner) == policy.accepted_owners.end())
    return fail(offer_errc::owner_not_accepted, "this node accepts offers only from its owner; " + owner.checksummed() + " is not");

  const auto& m = policy.max_limits;
  const auto& l = o.limits;
  if (l.ram_mb == 0 || l.cpu_secs == 0 || l.wall_secs == 0 || l.max_output_bytes == 0)
    return fail(offer_errc::bad_limits, "every limit must be positive");
  if (l.ram_mb > m.ram_mb || l.cpu_secs > m.cpu_secs || l.wall_secs > m.wall_secs ||
      l.max_output_bytes > m.max_output_bytes || (l.network && !m.network) ||
      (m.cpu_units && l.cpu_units > m.cpu_units))
    return fail(offer_errc::limits_exceed_node, "the offer's limits exceed this node's maxima (ram " + std::to_string(m.ram_mb) +
                                          " MB, cpu " + std::to_string(m.cpu_secs) + " s, wall " +
                                          std::to_string(m.wall_secs) + " s" + (m.network ? "" : ", no network") +
                                          (m.cpu_units ? ", " + std::to_string(m.cpu_units) + " cpu units" : "") + ")");
  if (is_expired(o, policy.now)) return fail(offer_errc::offer_expired, "the offer has expired");
  if (!o.prices.empty() && !policy.payment_networks.empty() &&
      std::none_of(o.prices.begin(), o.prices.end(), [&](const price_option& p) {
        return std::find(policy.payment_networks.begin(), policy.payment_networks.end(), p.network) !=
               policy.payment_networks.end();
      }))
    return fail(offer_errc::no_payable_price, "none of the offer's price options is on a network this node takes (" +
                                                  [&] {
                                                    std::string names;
                                                    for (const auto& n : policy.payment_networks) names += (names.empty() ? "" : ", ") + n;
                                                    return names;
                                                  }() + ")");
  return stored_offer{hash, canonical, signature, 0, o};
}

result<void> check_presets(const offer& o) {
  bool any = !o.env.empty() || o.env_extendable || !o.stdin_prefix.empty() || o.stdin_appendable || o.args_extendable ||
             o.retain_secs || o.min_duration_secs || o.max_duration_secs;
  if (o.version == 1 && any)
    return fail(offer_errc::bad_offer, "presets (env, stdin, extendable, retain, durations) need offer version 2");
  if (o.min_duration_secs || o.max_duration_secs) {
    if (!payments::priced_per_second(o)) return fail(offer_errc::bad_offer, "durations are for offers priced per second");
    if (o.min_duration_secs == 0 || o.min_duration_secs > o.max_duration_secs || o.max_duration_secs > o.limits.wall_secs)
      return fail(offer_errc::bad_offer, "durations: 1 <= min <= max <= the wall limit (" +
                                             std::to_string(o.limits.wall_secs) + " s)");
  }
  if (o.env.size() > 256) return fail(offer_errc::bad_offer, "at most 256 env presets");
  for (const auto& e : o.env) {
    if (!is_env_entry(e) || e.find('\0') != std::string::npos)
      return fail(offer_errc::bad_offer, "an env preset is NAME=VALUE, NAME of A-Z a-z 0-9 _ not starting with a digit");
  }
  return {};
}

namespace {

bool known_arch(const std::string& arch) {
  static const char* names[] = {"x86_64", "aarch64", "i386", "arm", "riscv64", "script"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return arch == n; });
}

result<void> check_url(const std::string& url) {
  if (url.empty()) return {};
  if (url.rfind("https://", 0) != 0 || url.size() > 2048 || url.find_first_of(" \r\n\t") != std::string::npos)
    return fail(offer_errc::bad_offer, "an executable's URL is https:// (at most 2048 characters)");
  return {};
}

}  // namespace

bool uses_version3(const offer& o) {
  const auto& l = o.limits;
  return !o.executable_url.empty() || !o.variants.empty() || !o.env_private_sha256.empty() ||
         !o.stdin_private_sha256.empty() || !o.prices.empty() || !o.pool.empty() || !l.tcp_bind.empty() ||
         !l.tcp_connect.empty() || l.cpu_units;
}

result<void> check_version3(const offer& o) {
  const auto& l = o.limits;
  if (o.version < 3 && uses_version3(o))
    return fail(offer_errc::bad_offer, "variants, private inputs, price options, TCP ports, pools and CPU units need "
                                       "offer version 3");
  if (auto ok = check_url(o.executable_url); !ok) return ok;
  if (!o.executable_url.empty() && o.arch == "script")
    return fail(offer_errc::bad_offer, "a fetched executable is an ELF binary, not a script");
  if (o.variants.size() > 8) return fail(offer_errc::bad_offer, "at most 8 more variants");
  auto all = executable_variants(o);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& v = all[i];
    if (!known_arch(v.arch)) return fail(offer_errc::bad_offer, "unknown architecture "" + v.arch + """);
    if (v.sha256.size() != 32 || v.size == 0) return fail(offer_errc::bad_offer, "each variant has a 32-byte sha256 and a size");
    if (auto ok = check_url(v.url); !ok) return ok;
    for (std::size_t j = 0; j < i; ++j)
      if (all[j].arch == v.arch) return fail(offer_errc::bad_offer, "two executables for " + v.arch + ": one per architecture");
  }
  for (const auto* sha : {&o.env_private_sha256, &o.stdin_private_sha256})
    if (!sha->empty() && sha->size() != 32) return fail(offer_errc::bad_offer, "a private input's sha256 is 32 bytes");
  if (!o.prices.empty()) {
    if (o.price_per_call || o.price_per_second)
      return fail(offer_errc::bad_offer, "an offer with price options names no pricePerCall/pricePerSecond");
    if (o.prices.size() > 16) return fail(offer_errc::bad_offer, "at most 16 price options");
    for (std::size_t i = 0; i < o.prices.size(); ++i) {
      const auto& p = o.prices[i];
      const auto* net = payments::find_network(p.network);
      if (!net || p.network != net->name)
        return fail(offer_errc::bad_offer, "price option on an unknown network "" + p.network + """);
      if (p.asset != std::string(reinterpret_cast<const char*>(net->usdc.bytes.data()), 20))
        return fail(offer_errc::bad_offer, "a price option's token is the USDC of its network (" + net->usdc.checksummed() + ")");
      if (!p.pay_to.empty() && (p.pay_to.size() != 20 || p.pay_to == std::string(20, '\0')))
        return fail(offer_errc::bad_offer, "a price option's payTo is a 20-byte address");
      if (p.amount == 0) return fail(offer_errc::bad_offer, "a price option's amount is positive (a free offer has none)");
      if (p.per_second != o.prices.front().per_second)
        return fail(offer_errc::bad_offer, "price options are all per call or all per second");
      for (std::size_t j = 0; j < i; ++j)
        if (o.prices[j].network == p.network) return fail(offer_errc::bad_offer, "two price options on " + p.network);
    }
  }
  if (o.pool.size() > 64) return fail(offer_errc::bad_offer, "a pool name is at most 64 characters");
  if ((!l.tcp_bind.empty() || !l.tcp_connect.empty()) && !l.network)
    return fail(offer_errc::bad_offer, "TCP port allowlists are for offers with network");
  if (l.tcp_bind.size() + l.tcp_connect.size() > 64) return fail(offer_errc::bad_offer, "at most 64 TCP ports");
  for (const auto* ports : {&l.tcp_bind, &l.tcp_connect})
    for (auto p : *ports)
      if (p == 0) return fail(offer_errc::bad_offer, "a TCP port is 1-65535");
  return {};
}

std::vector<offer_variant> executable_variants(const offer& o) {
  std::vector<offer_variant> all{{o.arch, o.executable_sha256, o.executable_size, o.executable_url}};
  all.insert(all.end(), o.variants.begin(), o.variants.end());
  return all;
}

result<offer_variant> variant_for_host(const offer& o) {
  std::string archs;
  for (auto& v : executable_variants(o)) {
    if (sandbox::host_can_run(v.arch) && v.arch != "i386") return v;
    archs += (archs.empty() ? "" : ", ") + v.arch;
  }
  for (auto& v : executable_variants(o))  // 32-bit x86 only when there is no native one
    if (sandbox::host_can_run(v.arch)) return v;
  return fail(offer_errc::unsupported_architecture, "this node runs " + sandbox::host_arch() + "; the offer has " + archs);
}

bool is_env_entry(std::string_view e) {
  auto eq = e.find('=');
  return eq != std::string_view::npos && eq > 0 && !std::isdigit(static_cast<unsigned char>(e[0])) &&
         std::all_of(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(eq),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool takes_caller_args(const offer& o) { return o.version == 1 || o.args_extendable; }

bool sells_durations(const offer& o) { return o.max_duration_secs != 0; }

result<void> check_tool_manifest(const std::string& manifest) {
  auto m = nlohmann::json::parse(manifest, nullptr, false);
  if (!m.is_object()) return fail(offer_errc::bad_manifest, "an MCP offer carries its tool's manifest (JSON object)");
  auto name = m.value("name", std::string());
  bool name_ok = !name.empty() && name.size() <= 64 &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
                 });
  if (!name_ok) return fail(offer_errc::bad_manifest, "the tool name is 1-64 of A-Z a-z 0-9 _ . -");
  if (!m.contains("description") || !m["description"].is_string())
    return fail(offer_errc::bad_manifest, "the manifest's description is a string");
  for (const char* key : {"input_schema", "output_schema"}) {
    if (!m.contains(key) && std::string(key) == "output_schema") continue;
    const auto& s = m[key];
    if (!s.is_object() || s.value("type", std::string()) != "object")
      return fail(offer_errc::bad_manifest, std::string(key) + " must be a JSON Schema of type object");
  }
  return {};
}

const char* mode_name(offer_mode m) {
  switch (m) {
    case offer_mode::cgi: return "cgi";
    case offer_mode::mcp: return "mcp";
    case offer_mode::batch: return "batch";
  }
  return "unknown";
}

}  // namespace hearth::actors
