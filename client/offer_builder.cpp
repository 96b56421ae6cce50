#include "client/offer_builder.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "actors/offer_validation.hpp"
#include "actors/private_inputs.hpp"
#include "client/http_client.hpp"
#include "crypto/base64.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "payments/networks.hpp"
#include "sandbox/elf_arch.hpp"
#include "sandbox/runner.hpp"
#include "storage/offer_codec.hpp"

namespace hearth::client {
namespace {

// Runs `EXE --mcp-schema` in the sandbox and returns the manifest it prints.
result<nlohmann::json> tool_manifest(const std::string& exe) {
  sandbox::launch_spec spec;
  spec.executable = std::filesystem::absolute(exe).string();
  spec.args = {"--mcp-schema"};
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"};
  spec.lim.ram_mb = 256;
  spec.lim.cpu_secs = 5;
  spec.lim.wall_secs = 10;
  spec.lim.max_output_bytes = 1 << 20;
  std::string out, err;
  sandbox::run_io io;
  io.on_stdout = [&out](std::string_view s) { out.append(s); };
  io.on_stderr = [&err](std::string_view s) { err.append(s); };
  auto ran = sandbox::run(spec, std::move(io));
  if (!ran) return ran.error();
  if (ran->how != sandbox::ending::exited || ran->exit_code != 0)
    return fail(offer_errc::bad_manifest, exe + " --mcp-schema did not succeed (" + sandbox::to_string(ran->how) + ", exit " +
                                    std::to_string(ran->exit_code) + "): " + err.substr(0, 500));
  auto manifest = nlohmann::json::parse(out, nullptr, false);
  if (!manifest.is_object()) return fail(offer_errc::bad_manifest, exe + " --mcp-schema did not print a JSON object");
  if (auto ok = actors::check_tool_manifest(manifest.dump()); !ok) return ok.error();
  return manifest;
}

// An MCP tool's manifest names it, describes it, and sets its limits
// unless the owner gave them.
result<void> adopt_manifest(const offer_draft& a, const signed_offer& out, offer& o) {
  auto local = std::find_if(out.executables.begin(), out.executables.end(),
                            [](const signed_offer::local_executable& e) { return sandbox::host_can_run(e.arch); });
  if (local == out.executables.end())
    return fail(offer_errc::bad_manifest, "an MCP offer needs an --exe file this host runs, to read its --mcp-schema");
  auto manifest = tool_manifest(local->path);
  if (!manifest) return manifest.error();
  if (o.name.empty()) o.name = manifest->value("name", "");
  if (o.description.empty()) o.description = manifest->value("description", "");
  const auto& l = (*manifest)["limits"];
  if (l.is_object()) {
    if (!a.explicit_limits.count("--ram-mb")) o.limits.ram_mb = l.value("ram_mb", o.limits.ram_mb);
    if (!a.explicit_limits.count("--cpu-secs")) o.limits.cpu_secs = l.value("cpu_time_secs", o.limits.cpu_secs);
    if (!a.explicit_limits.count("--wall-secs")) o.limits.wall_secs = l.value("wall_time_secs", o.limits.wall_secs);
    if (!a.explicit_limits.count("--network")) o.limits.network = l.value("network", o.limits.network);
  }
  o.manifest = manifest->dump();
  return {};
}


bool known_arch_name(const std::string& s) {
  for (const char* a : {"x86_64", "aarch64", "i386", "arm", "riscv64", "script"})
    if (s == a) return true;
  return false;
}

// The architecture of an executable's bytes: its ELF machine, or "script".
result<std::string> arch_of(const std::string& bytes, const std::string& what) {
  if (auto elf = sandbox::read_elf_header(bytes)) return elf->arch;
  if (bytes.rfind("#!", 0) == 0) return std::string("script");
  return fail(offer_errc::not_executable, what + " is neither an ELF executable nor a #! script");
}

// One --exe: [ARCH:]PATH, or ARCH:https://URL#SHA256 (fetched here once to
// check the hash and learn the size; the node fetches it again itself).
result<offer_variant> read_variant(const std::string& spec, signed_offer& out) {
  offer_variant v;
  std::string where = spec;
  if (auto colon = spec.find(':'); colon != std::string::npos && known_arch_name(spec.substr(0, colon))) {
    v.arch = spec.substr(0, colon);
    where = spec.substr(colon + 1);
  }
  std::string bytes;
  if (where.rfind("https://", 0) == 0 || where.rfind("http://", 0) == 0) {
    auto hash = where.rfind('#');
    if (v.arch.empty() || hash == std::string::npos || where.rfind("https://", 0) != 0)
      return fail(config_errc::bad_option, "--exe for a URL is ARCH:https://HOST/PATH#SHA256 (" + spec + ")");
    auto sha = crypto::from_hex(where.substr(hash + 1));
    if (!sha || sha->size() != 32) return fail(config_errc::bad_option, "--exe " + spec + ": the part after # is a sha256 in hex");
    v.url = where.substr(0, hash);
    v.sha256.assign(sha->begin(), sha->end());
    client_request req;
    req.url = v.url;
    req.timeout = std::chrono::seconds(120);
    req.max_response_bytes = 1ull << 30;
    auto res = send_request(req);
    if (!res) return fail(res.error().code, "--exe " + v.url + ": " + res.error().message);
    if (res->status != 200) return fail(client_errc::http_error, "--exe " + v.url + ": the server answered " + std::to_string(res->status));
    bytes = std::move(res->body);
    auto got = crypto::sha256(bytes);
    if (std::string(got.begin(), got.end()) != v.sha256)
      return fail(offer_errc::executable_hash_mismatch, "--exe " + v.url + ": its sha256 is " + crypto::to_hex(got.data(), got.size()));
  } else {
    std::ifstream in(where, std::ios::binary);
    if (!in) return fail(sandbox_errc::file_unreadable, "cannot read " + where);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
    auto got = crypto::sha256(bytes);
    v.sha256.assign(got.begin(), got.end());
  }
  v.size = bytes.size();
  auto arch = arch_of(bytes, where);
  if (!arch) return arch.error();
  if (!v.arch.empty() && v.arch != *arch)
    return fail(offer_errc::arch_mismatch, "--exe " + spec + " is " + *arch + ", not " + v.arch);
  v.arch = *arch;
  if (v.url.empty()) out.executables.push_back({v.arch, where, std::move(bytes)});
  return v;
}

result<std::vector<offer_variant>> read_variants(const offer_draft& a, signed_offer& out) {
  if (a.exes.empty()) return fail(config_errc::bad_option, "give --exe (one per architecture)");
  std::vector<offer_variant> all;
  for (const auto& spec : a.exes) {
    auto v = read_variant(spec, out);
    if (!v) return v.error();
    for (const auto& seen : all)
      if (seen.arch == v->arch) return fail(config_errc::bad_option, "two --exe for " + v->arch + ": one per architecture");
    all.push_back(std::move(*v));
  }
  return all;
}

bool is_testnet(const payments::network& n) { return n.name.find("sepolia") != std::string::npos; }

// The networks an entry without "network" (or a plain decimal with --testnet) is priced on.
std::vector<const payments::network*> default_networks(bool testnet) {
  std::vector<const payments::network*> out;
  for (const auto& n : payments::known_networks())
    if (is_testnet(n) == testnet) out.push_back(&n);
  return out;
}

result<void> add_price_entry(const nlohmann::json& e, bool per_second, bool testnet, offer& o) {
  auto bad = [](const std::string& why) { return fail(config_errc::bad_price, "a price entry " + why); };
  if (!e.is_object()) return bad("is a JSON object {\"token\",\"network\",\"amount\"[,\"payTo\"]}");
  std::vector<const payments::network*> nets;
  if (e.contains("network")) {
    const auto* n = e["network"].is_string() ? payments::find_network(e["network"].get<std::string>()) : nullptr;
    if (!n) return bad("names an unknown network: " + e["network"].dump() + " (base, base-sepolia, ethereum)");
    nets.push_back(n);
  } else {
    nets = default_networks(testnet);
  }
  std::string amount = e.contains("amount") ? (e["amount"].is_string() ? e["amount"].get<std::string>() : e["amount"].dump()) : "";
  std::uint64_t atomic = 0;
  if (!parse_usdc(amount, atomic) || atomic == 0) return bad("has an amount of USDC above 0 with at most 6 decimals");
  std::string pay_to;
  if (e.contains("payTo")) {
    auto addr = e["payTo"].is_string() ? crypto::parse_address(e["payTo"].get<std::string>()) : result<crypto::address>(fail(crypto_errc::bad_address, "not a string"));
    if (!addr) return bad("has a payTo that is not an address");
    pay_to.assign(addr->bytes.begin(), addr->bytes.end());
  }
  std::string token = e.value("token", std::string("USDC"));
  for (const auto* n : nets) {
    auto as_address = crypto::parse_address(token);
    if (token != "USDC" && !(as_address && *as_address == n->usdc))
      return bad("names token " + token + ": the node takes USDC (" + n->usdc.checksummed() + " on " + n->name + ")");
    o.prices.push_back({n->name, std::string(n->usdc.bytes.begin(), n->usdc.bytes.end()), atomic, per_second, pay_to});
  }
  return {};
}

// -P/--price and --price-per-second: one decimal (the node's networks; with
// --testnet one option per test network), or JSON entries.
result<void> apply_prices(const offer_draft& a, offer& o) {
  bool per_second = !a.price_per_second.empty();
  const auto& given = per_second ? a.price_per_second : a.price;
  const char* flag = per_second ? "--price-per-second" : "--price";
  bool json_form = std::any_of(given.begin(), given.end(), [](const std::string& g) {
    auto first = g.find_first_not_of(" \t");
    return first != std::string::npos && (g[first] == '{' || g[first] == '[');
  });
  if (!json_form) {
    if (given.size() != 1) return fail(config_errc::bad_price, std::string(flag) + " is one USDC amount, or JSON entries");
    std::uint64_t atomic = 0;
    if (!parse_usdc(given.front(), atomic))
      return fail(config_errc::bad_price, std::string(flag) + " is a USDC amount with at most 6 decimals, e.g. 0.001");
    if (!a.testnet || atomic == 0) {
      (per_second ? o.price_per_second : o.price_per_call) = atomic;
      return {};
    }
    return add_price_entry({{"amount", given.front()}}, per_second, true, o);
  }
  for (const auto& g : given) {
    auto parsed = nlohmann::json::parse(g, nullptr, false);
    if (parsed.is_discarded()) return fail(config_errc::bad_price, std::string(flag) + ": not JSON: " + g);
    for (const auto& e : parsed.is_array() ? parsed : nlohmann::json::array({parsed}))
      if (auto ok = add_price_entry(e, per_second, a.testnet, o); !ok) return ok;
  }
  return {};
}

result<std::vector<std::uint16_t>> parse_ports(const char* flag, const std::vector<std::string>& given) {
  std::vector<std::uint16_t> out;
  for (const auto& g : given) {
    std::size_t start = 0;
    while (start <= g.size()) {
      auto end = std::min(g.find(',', start), g.size());
      std::string item = g.substr(start, end - start);
      start = end + 1;
      if (item.empty()) continue;
      if (item.size() > 5 || item.find_first_not_of("0123456789") != std::string::npos || std::stoul(item) == 0 ||
          std::stoul(item) > 65535)
        return fail(config_errc::bad_option, std::string(flag) + " takes ports 1-65535, comma-separated; not " + item);
      auto port = static_cast<std::uint16_t>(std::stoul(item));
      if (std::find(out.begin(), out.end(), port) == out.end()) out.push_back(port);
    }
  }
  return out;
}

// --env-private / --stdin-private: salted values for the node, their sha256 in the offer.
result<void> apply_private(const offer_draft& a, offer& o, signed_offer& out) {
  auto salted = [](const std::string& payload) -> result<std::string> {
    std::string salt(actors::private_salt_bytes, '\0');
    if (auto ok = crypto::random_fill(salt.data(), salt.size()); !ok) return ok.error();
    return actors::salted_private_value(salt, payload);
  };
  if (!a.env_private.empty()) {
    for (const auto& e : a.env_private) {
      auto eq = e.find('=');
      if (eq == std::string::npos || eq == 0 || e.find('\0') != std::string::npos)
        return fail(config_errc::bad_option, "--env-private is NAME=VALUE");
    }
    auto value = salted(actors::private_env_payload(a.env_private));
    if (!value) return value.error();
    out.private_env = std::move(*value);
    auto sha = crypto::sha256(out.private_env);
    o.env_private_sha256.assign(sha.begin(), sha.end());
  }
  if (!a.stdin_private.empty()) {
    std::string payload = a.stdin_private;
    if (payload[0] == '@') {
      std::ifstream in(payload.substr(1), std::ios::binary);
      if (!in) return fail(config_errc::bad_option, "--stdin-private: cannot read " + payload.substr(1));
      payload.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto value = salted(payload);
    if (!value) return value.error();
    out.private_stdin = std::move(*value);
    auto sha = crypto::sha256(out.private_stdin);
    o.stdin_private_sha256.assign(sha.begin(), sha.end());
  }
  return {};
}

}  // namespace

result<signed_offer> build_offer(const offer_draft& a, const crypto::private_key& key) {
  signed_offer out;
  offer& o = out.body;
  o.mode = a.mode;
  auto variants = read_variants(a, out);
  if (!variants) return variants.error();
  const auto& first = variants->front();
  o.arch = first.arch;
  o.executable_sha256 = first.sha256;
  o.executable_size = first.size;
  o.executable_url = first.url;
  o.variants.assign(variants->begin() + 1, variants->end());
  if (auto priced = apply_prices(a, o); !priced) return priced.error();
  o.limits = a.limits;
  auto owner = key.to_address();
  o.owner.assign(owner.bytes.begin(), owner.bytes.end());
  auto pay_to = owner;
  if (!a.pay_to.empty()) {
    auto parsed = crypto::parse_address(a.pay_to);
    if (!parsed) return fail(parsed.error().code, "--pay-to: " + parsed.error().message);
    pay_to = *parsed;
  }
  o.pay_to.assign(pay_to.bytes.begin(), pay_to.bytes.end());
  o.created_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (a.expires_in_hours > 0) o.expires_at = o.created_at + static_cast<std::int64_t>(a.expires_in_hours * 3600);
  if (!a.valid_for.empty()) {
    auto secs = parse_duration_secs(a.valid_for);
    if (!secs) return fail(secs.error().code, "--valid-for: " + secs.error().message);
    o.expires_at = o.created_at + static_cast<std::int64_t>(*secs);
  }
  if (!a.retain.empty()) {
    auto secs = parse_duration_secs(a.retain);
    if (!secs || *secs == 0) return fail(config_errc::bad_option, "--retain: a positive duration, e.g. 3600 or 1h");
    o.retain_secs = *secs;
  }
  if (!a.min_duration.empty() || !a.max_duration.empty()) {
    auto lo = parse_duration_secs(a.min_duration.empty() ? "1" : a.min_duration);
    auto hi = parse_duration_secs(a.max_duration.empty() ? std::to_string(o.limits.wall_secs) : a.max_duration);
    if (!lo || !hi) return fail(config_errc::bad_option, "--min-duration/--max-duration: " + (lo ? hi : lo).error().message);
    o.min_duration_secs = *lo;
    o.max_duration_secs = *hi;
  }
  o.env = a.env;
  o.env_extendable = a.env_extendable;
  if (!a.stdin_text.empty()) {
    if (a.stdin_text[0] == '@') {
      std::ifstream in(a.stdin_text.substr(1), std::ios::binary);
      if (!in) return fail(config_errc::bad_option, "--stdin: cannot read " + a.stdin_text.substr(1));
      o.stdin_prefix.assign(std::istreambuf_iterator<char>(in), {});
    } else {
      o.stdin_prefix = a.stdin_text;
    }
  }
  o.stdin_appendable = a.stdin_appendable;
  o.args_extendable = a.args_extendable;
  o.pool = a.pool;
  for (auto [flag, list, ports] : {std::tuple{"--tcp-bind", &a.tcp_bind, &o.limits.tcp_bind},
                                   std::tuple{"--tcp-connect", &a.tcp_connect, &o.limits.tcp_connect}}) {
    auto parsed = parse_ports(flag, *list);
    if (!parsed) return parsed.error();
    *ports = std::move(*parsed);
  }
  if (auto secrets = apply_private(a, o, out); !secrets) return secrets.error();
  // The lowest version that carries what the offer uses, so older nodes take what they can run.
  o.version = actors::uses_version3(o) ? 3 : 2;
  if (auto v3 = actors::check_version3(o); !v3) return fail(config_errc::bad_option, v3.error().message);
  if (auto presets = actors::check_presets(o); !presets) return fail(config_errc::bad_option, presets.error().message);
  o.deterministic = a.deterministic;
  o.name = a.name;
  o.description = a.description;
  if (o.mode == offer_mode::mcp)
    if (auto adopted = adopt_manifest(a, out, o); !adopted) return adopted.error();
  o.args = a.args;

  out.canonical = storage::canonical_offer(o);
  auto signature = key.sign_digest(crypto::personal_message_digest(crypto::sha256(out.canonical))).to_bytes();
  out.hash = actors::offer_hash_hex(out.canonical);
  out.signature = "0x" + crypto::to_hex(signature.data(), signature.size());
  return out;
}

result<std::uint64_t> parse_duration_secs(const std::string& text) {
  constexpr std::uint64_t ten_years = 10ull * 366 * 86400;
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])))
    return fail(config_errc::bad_option, "a duration is a number with s, m, h or d (e.g. 90d, 1h, 30m), not " + text);
  std::size_t used = 0;
  std::uint64_t n = 0;
  for (; used < text.size() && std::isdigit(static_cast<unsigned char>(text[used])); ++used) {
    n = n * 10 + static_cast<std::uint64_t>(text[used] - '0');
    if (n > ten_years) return fail(config_errc::bad_option, "a duration is at most ten years: " + text);
  }
  std::string unit = text.substr(used);
  std::uint64_t scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (!scale) return fail(config_errc::bad_option, "a duration's unit is s, m, h or d, not " + unit);
  if (n * scale > ten_years) return fail(config_errc::bad_option, "a duration is at most ten years: " + text);
  return n * scale;
}

namespace {

// The architecture the node runs, from its /health ("" when it does not say).
std::string node_arch(const std::string& base) {
  auto res = send_request({"GET", base + "/health", {}, {}, std::chrono::seconds(30), nullptr});
  if (!res || res->status != 200) return "";
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("node") || !j["node"].is_object()) return "";
  return j["node"].value("arch", "");
}

// The file variant to send a node of arch (what variant_for_host would pick there).
const signed_offer::local_executable* executable_for(const signed_offer& offer, const std::string& arch) {
  for (const auto& v : actors::executable_variants(offer.body))
    if (v.arch == arch || v.arch == "script" || (arch.empty() && v.url.empty())) {
      if (!v.url.empty()) return nullptr;  // the node fetches this one
      for (const auto& e : offer.executables)
        if (e.arch == v.arch) return &e;
    }
  if (arch == "x86_64")
    for (const auto& e : offer.executables)
      if (e.arch == "i386") return &e;
  return nullptr;
}

result<std::string> answer_of(const result<http_response>& res) {
  if (!res) return res.error();
  if (res->status / 100 != 2) {
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_object())
      return fail(parse_error_code(body["error"].value("code", "")).value_or(client_errc::upload_failed),
                  body["error"].value("message", res->body));
    return fail(client_errc::upload_failed, "the node answered " + std::to_string(res->status));
  }
  return res->body;
}

}  // namespace

result<std::string> upload_offer(const std::string& node_url, signed_offer& offer,
                                 std::function<void(std::uint64_t, std::uint64_t)> progress) {
  std::string base = node_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  client_request req;
  req.method = "POST";
  req.url = base + "/offers";
  req.headers = {{"X-Hearth-Offer", crypto::base64_encode(offer.canonical)},
                 {"X-Hearth-Signature", offer.signature},
                 {"Content-Type", "application/octet-stream"}};
  // Re-uploading an offer the node already has needs no executable bytes.
  auto known = send_request({"GET", base + "/offers/" + offer.hash, {}, {}, std::chrono::seconds(30), nullptr});
  if (!known || known->status != 200) {
    if (const auto* exe = executable_for(offer, node_arch(base))) {
      std::cerr << "uploading " << exe->path << " (" << exe->arch << ", " << exe->bytes.size() / 1024 << " KiB) to "
                << req.url << "\n";
      req.body = exe->bytes;  // a copy: the same offer may go to several nodes
      if (req.body.size() >= (4u << 20)) req.on_progress = progress;
    }
  }
  auto answer = answer_of(send_request(req));
  if (!answer) return answer;
  // The owner's secrets go to each node apart from the public offer.
  for (const auto& [kind, value] : {std::pair{"env", &offer.private_env}, std::pair{"stdin", &offer.private_stdin}}) {
    if (value->empty()) continue;
    client_request put{"PUT", base + "/offers/" + offer.hash + "/private/" + kind,
                       {{"Content-Type", "application/octet-stream"}}, *value, std::chrono::seconds(60), nullptr};
    auto stored = answer_of(send_request(put));
    if (!stored) return fail(stored.error().code, std::string("private ") + kind + ": " + stored.error().message);
    answer = std::move(stored);
  }
  return answer;
}

bool parse_usdc(const std::string& text, std::uint64_t& atomic) {
  auto dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || frac.size() > 6 ||
      whole.find_first_not_of("0123456789") != std::string::npos ||
      frac.find_first_not_of("0123456789") != std::string::npos || (dot != std::string::npos && frac.empty()))
    return false;
  frac.append(6 - frac.size(), '0');
  atomic = std::stoull(whole) * 1000000 + std::stoull(frac);
  return true;
}

}  // namespace hearth::client
