#include "client/offer_builder.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "actors/offer_validation.hpp"
#include "client/http_client.hpp"
#include "crypto/base64.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/sha256.hpp"
#include "sandbox/elf_arch.hpp"
#include "sandbox/runner.hpp"
#include "storage/offer_codec.hpp"

namespace hearth::client {
namespace {

// Runs `EXE --mcp-schema` in the sandbox and returns the manifest it prints.
result<nlohmann::json> tool_manifest(const offer_draft& a) {
  sandbox::launch_spec spec;
  spec.executable = std::filesystem::absolute(a.exe).string();
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
    return fail(offer_errc::bad_manifest, a.exe + " --mcp-schema did not succeed (" + sandbox::to_string(ran->how) + ", exit " +
                                    std::to_string(ran->exit_code) + "): " + err.substr(0, 500));
  auto manifest = nlohmann::json::parse(out, nullptr, false);
  if (!manifest.is_object()) return fail(offer_errc::bad_manifest, a.exe + " --mcp-schema did not print a JSON object");
  if (auto ok = actors::check_tool_manifest(manifest.dump()); !ok) return ok.error();
  return manifest;
}

// An MCP tool's manifest names it, describes it, and sets its limits
// unless the owner gave them.
result<void> adopt_manifest(const offer_draft& a, offer& o) {
  auto manifest = tool_manifest(a);
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

}  // namespace

result<signed_offer> build_offer(const offer_draft& a, const crypto::private_key& key) {
  std::ifstream in(a.exe, std::ios::binary);
  if (!in) return fail(sandbox_errc::file_unreadable, "cannot read " + a.exe);
  std::stringstream buffer;
  buffer << in.rdbuf();
  signed_offer out;
  out.executable = buffer.str();
  out.exe_path = a.exe;
  const std::string& exe = out.executable;

  offer& o = out.body;
  o.mode = a.mode;
  auto sha = crypto::sha256(exe);
  o.executable_sha256.assign(sha.begin(), sha.end());
  o.executable_size = exe.size();
  auto elf = sandbox::read_elf_header(exe);
  if (elf) o.arch = elf->arch;
  else if (exe.rfind("#!", 0) == 0) o.arch = "script";
  else return fail(offer_errc::not_executable, a.exe + " is neither an ELF executable nor a #! script");
  if (!a.price.empty() && !parse_usdc(a.price, o.price_per_call))
    return fail(config_errc::bad_price, "--price is a USDC amount with at most 6 decimals, e.g. 0.001");
  if (!a.price_per_second.empty() && !parse_usdc(a.price_per_second, o.price_per_second))
    return fail(config_errc::bad_price, "--price-per-second is a USDC amount with at most 6 decimals");
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
  o.version = offer_version;
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
  if (auto presets = actors::check_presets(o); !presets) return fail(config_errc::bad_option, presets.error().message);
  o.deterministic = a.deterministic;
  o.name = a.name;
  o.description = a.description;
  if (o.mode == offer_mode::mcp)
    if (auto adopted = adopt_manifest(a, o); !adopted) return adopted.error();
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
    std::cerr << "uploading " << offer.exe_path << " (" << offer.executable.size() / 1024 << " KiB) to " << req.url << "\n";
    req.body = offer.executable;  // a copy: the same offer may go to several nodes
    if (req.body.size() >= (4u << 20)) req.on_progress = progress;
  }
  auto res = send_request(req);
  if (!res) return res.error();
  if (res->status != 200 && res->status != 201) {
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_object() && body.contains("error"))
      return fail(parse_error_code(body["error"].value("code", "")).value_or(client_errc::upload_failed),
                  body["error"].value("message", res->body));
    return fail(client_errc::upload_failed, "the node answered " + std::to_string(res->status));
  }
  return res->body;
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
