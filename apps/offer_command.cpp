#include "apps/offer_command.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/offer_validation.hpp"
#include "crypto/base64.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "client/http_client.hpp"
#include "sandbox/elf_arch.hpp"
#include "sandbox/runner.hpp"
#include "storage/offer_codec.hpp"

namespace hearth::app {
namespace {

// Progress of a large upload on stderr: one updating line on a terminal,
// a line per tenth otherwise (logs, CI).
std::function<void(std::uint64_t, std::uint64_t)> upload_progress(bool terminal) {
  auto last_tenth = std::make_shared<int>(-1);
  return [terminal, last_tenth](std::uint64_t sent, std::uint64_t total) {
    if (total == 0) return;
    int tenth = static_cast<int>(sent * 10 / total);
    if (!terminal && tenth == *last_tenth) return;
    *last_tenth = tenth;
    char line[96];
    std::snprintf(line, sizeof line, "  %.1f / %.1f MiB (%d%%)", static_cast<double>(sent) / (1 << 20),
                  static_cast<double>(total) / (1 << 20), static_cast<int>(sent * 100 / total));
    std::cerr << (terminal ? "\r" : "") << line << (terminal && sent < total ? "" : "\n") << std::flush;
  };
}


struct offer_args {
  std::string exe, key, upload, price, price_per_second, pay_to, name, description;
  bool cgi = false, mcp = false, batch = false, deterministic = false, json = false;
  double expires_in_hours = 0;
  std::vector<std::string> args;
  offer_limits limits;
  std::set<std::string> explicit_limits;  // limit flags the user gave
};

int report(error_code code, const std::string& message) {
  std::cerr << "hearth: " << message << " [" << code << "]\n";
  return 1;
}

// Runs `EXE --mcp-schema` in the sandbox and returns the manifest it prints.
result<nlohmann::json> tool_manifest(const offer_args& a) {
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

int run_offer(const offer_args& a) {
  std::ifstream in(a.exe, std::ios::binary);
  if (!in) return report(sandbox_errc::file_unreadable, "cannot read " + a.exe);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string exe = buffer.str();
  auto key = crypto::private_key::load(a.key);
  if (!key) return report(key.error().code, key.error().message);

  offer o;
  o.mode = a.mcp ? offer_mode::mcp : a.batch ? offer_mode::batch : offer_mode::cgi;
  auto sha = crypto::sha256(exe);
  o.executable_sha256.assign(sha.begin(), sha.end());
  o.executable_size = exe.size();
  auto elf = sandbox::read_elf_header(exe);
  if (elf) o.arch = elf->arch;
  else if (exe.rfind("#!", 0) == 0) o.arch = "script";
  else return report(offer_errc::not_executable, a.exe + " is neither an ELF executable nor a #! script");
  if (!a.price.empty() && !parse_usdc(a.price, o.price_per_call))
    return report(config_errc::bad_price, "--price is a USDC amount with at most 6 decimals, e.g. 0.001");
  if (!a.price_per_second.empty() && !parse_usdc(a.price_per_second, o.price_per_second))
    return report(config_errc::bad_price, "--price-per-second is a USDC amount with at most 6 decimals");
  o.limits = a.limits;
  auto owner = key->to_address();
  o.owner.assign(owner.bytes.begin(), owner.bytes.end());
  auto pay_to = owner;
  if (!a.pay_to.empty()) {
    auto parsed = crypto::parse_address(a.pay_to);
    if (!parsed) return report(parsed.error().code, "--pay-to: " + parsed.error().message);
    pay_to = *parsed;
  }
  o.pay_to.assign(pay_to.bytes.begin(), pay_to.bytes.end());
  o.created_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (a.expires_in_hours > 0) o.expires_at = o.created_at + static_cast<std::int64_t>(a.expires_in_hours * 3600);
  o.deterministic = a.deterministic;
  o.name = a.name;
  o.description = a.description;
  if (o.mode == offer_mode::mcp) {
    auto manifest = tool_manifest(a);
    if (!manifest) return report(manifest.error().code, manifest.error().message);
    if (o.name.empty()) o.name = manifest->value("name", "");
    if (o.description.empty()) o.description = manifest->value("description", "");
    // The tool's own limits, unless given on the command line.
    const auto& l = (*manifest)["limits"];
    if (l.is_object()) {
      if (!a.explicit_limits.count("--ram-mb")) o.limits.ram_mb = l.value("ram_mb", o.limits.ram_mb);
      if (!a.explicit_limits.count("--cpu-secs")) o.limits.cpu_secs = l.value("cpu_time_secs", o.limits.cpu_secs);
      if (!a.explicit_limits.count("--wall-secs")) o.limits.wall_secs = l.value("wall_time_secs", o.limits.wall_secs);
      if (!a.explicit_limits.count("--network")) o.limits.network = l.value("network", o.limits.network);
    }
    o.manifest = manifest->dump();
  }
  o.args = a.args;

  std::string canonical = storage::canonical_offer(o);
  auto signature = key->sign_digest(crypto::personal_message_digest(crypto::sha256(canonical))).to_bytes();
  std::string hash = actors::offer_hash_hex(canonical);
  std::string sig_hex = "0x" + crypto::to_hex(signature.data(), signature.size());
  if (a.upload.empty()) {
    std::cout << nlohmann::json{{"hash", hash}, {"canonical", crypto::base64_encode(canonical)}, {"signature", sig_hex}}.dump(2)
              << "\n";
    return 0;
  }

  std::string base = a.upload;
  while (!base.empty() && base.back() == '/') base.pop_back();
  client::client_request req;
  req.method = "POST";
  req.url = base + "/offers";
  req.headers = {{"X-Hearth-Offer", crypto::base64_encode(canonical)},
                 {"X-Hearth-Signature", sig_hex},
                 {"Content-Type", "application/octet-stream"}};
  // Re-uploading an offer the node already has needs no executable bytes.
  auto known = client::send_request({"GET", base + "/offers/" + hash, {}, {}, std::chrono::seconds(30), nullptr});
  if (!known || known->status != 200) {
    std::cerr << "uploading " << a.exe << " (" << exe.size() / 1024 << " KiB) to " << req.url << "\n";
    req.body = std::move(exe);
    if (req.body.size() >= (4u << 20)) req.on_progress = upload_progress(isatty(STDERR_FILENO) == 1);
  }
  auto res = client::send_request(req);
  if (!res) return report(res.error().code, res.error().message);
  if (res->status != 200 && res->status != 201) {
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_object() && body.contains("error"))
      return report(parse_error_code(body["error"].value("code", "")).value_or(client_errc::upload_failed), body["error"].value("message", res->body));
    return report(client_errc::upload_failed, "the node answered " + std::to_string(res->status));
  }
  if (a.json) {
    std::cout << res->body;
  } else {
    std::cout << hash << "\n";
    if (o.mode == offer_mode::cgi) std::cout << base << "/" << hash << ".cgi/\n";
    if (o.mode == offer_mode::mcp) std::cout << "tool " << o.name << " at " << base << "/mcp\n";
  }
  return 0;
}

}  // namespace

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

void add_offer_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<offer_args>();
  auto* cmd = app.add_subcommand("offer", "Sign an offer of an executable and upload it to a node");
  cmd->add_option("--exe", a->exe, "The executable (ELF, or a #! script)")->required()->check(CLI::ExistingFile);
  auto* cgi = cmd->add_flag("--cgi", a->cgi, "Run it CGI-style for HTTP requests at /{hash}.cgi/*");
  auto* mcp = cmd->add_flag("--mcp", a->mcp, "An MCP tool");
  auto* batch = cmd->add_flag("--batch", a->batch, "A batch program for `hearth run`");
  cgi->excludes(mcp)->excludes(batch);
  mcp->excludes(batch);
  auto* price = cmd->add_option("--price", a->price, "USDC per call (0 for a free offer)");
  auto* pps = cmd->add_option("--price-per-second", a->price_per_second, "USDC per second of wall time");
  price->excludes(pps);
  cmd->add_option("--ram-mb", a->limits.ram_mb, "Memory limit, MB")->capture_default_str();
  cmd->add_option("--cpu-secs", a->limits.cpu_secs, "CPU limit, seconds")->capture_default_str();
  cmd->add_option("--wall-secs", a->limits.wall_secs, "Wall-clock limit, seconds")->capture_default_str();
  cmd->add_option("--max-output", a->limits.max_output_bytes, "Largest output, bytes")->capture_default_str();
  cmd->add_flag("--network", a->limits.network, "Allow network access");
  cmd->add_flag("--deterministic", a->deterministic, "Identical requests may be answered from the stored result");
  cmd->add_option("--pay-to", a->pay_to, "Address payments go to (default: the key's)");
  cmd->add_option("--name", a->name, "Name shown in listings");
  cmd->add_option("--description", a->description, "Description shown in listings");
  cmd->add_option("--arg", a->args, "A fixed leading argument (repeatable)");
  cmd->add_option("--expires-in-hours", a->expires_in_hours, "Validity (default: no expiry)");
  cmd->add_option("--key", a->key, "Owner key: 0xHEX or @FILE")->envname("HEARTH_KEY")->required();
  cmd->add_option("--upload", a->upload, "Node URL, e.g. http://127.0.0.1:3000 (without: print the signed offer)");
  cmd->add_flag("--json", a->json, "Print the node's JSON answer");
  cmd->callback([a, cmd, &exit_code] {
    if (!a->cgi && !a->mcp && !a->batch) {
      exit_code = report(config_errc::mode_missing, "choose --cgi, --mcp or --batch");
      return;
    }
    if (cmd->count("--price") == 0 && cmd->count("--price-per-second") == 0) {
      exit_code = report(config_errc::price_missing, "give --price (per call; 0 for free) or --price-per-second");
      return;
    }
    for (const char* flag : {"--ram-mb", "--cpu-secs", "--wall-secs", "--network"})
      if (cmd->count(flag) > 0) a->explicit_limits.insert(flag);
    exit_code = run_offer(*a);
  });
}

}  // namespace hearth::app
