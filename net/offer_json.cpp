#include "net/offer_json.hpp"

#include "actors/offer_validation.hpp"

#include <nlohmann/json.hpp>

#include "crypto/address.hpp"
#include "crypto/base64.hpp"

namespace hearth::net {
namespace {

std::string address_of(const std::string& raw) {
  crypto::address a;
  std::copy(raw.begin(), raw.end(), a.bytes.begin());
  return a.checksummed();
}

}  // namespace

std::string usdc_string(std::uint64_t atomic) {
  std::string frac = std::to_string(atomic % 1000000);
  frac.insert(0, 6 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return std::to_string(atomic / 1000000) + (frac.empty() ? "" : "." + frac);
}

nlohmann::json offer_to_json(const stored_offer& s) {
  const offer& o = s.body;
  nlohmann::json price = {{"asset", "USDC"}, {"decimals", 6}};
  if (o.price_per_second) {
    price["per_second"] = std::to_string(o.price_per_second);
    price["per_second_usdc"] = usdc_string(o.price_per_second);
  } else {
    price["per_call"] = std::to_string(o.price_per_call);
    price["per_call_usdc"] = usdc_string(o.price_per_call);
  }
  nlohmann::json j = {
      {"hash", s.hash},
      {"mode", actors::mode_name(o.mode)},
      {"name", o.name},
      {"description", o.description},
      {"executable", {{"sha256", crypto::to_hex(std::string_view(o.executable_sha256))},
                      {"size", o.executable_size},
                      {"arch", o.arch}}},
      {"args", o.args},
      {"price", price},
      {"free", o.price_per_call == 0 && o.price_per_second == 0},
      {"limits", {{"ram_mb", o.limits.ram_mb}, {"cpu_secs", o.limits.cpu_secs}, {"wall_secs", o.limits.wall_secs},
                  {"network", o.limits.network}, {"max_output_bytes", o.limits.max_output_bytes}}},
      {"deterministic", o.deterministic},
      {"pay_to", address_of(o.pay_to)},
      {"owner", address_of(o.owner)},
      {"created_at", o.created_at},
      {"expires_at", o.expires_at},
      {"signature", "0x" + crypto::to_hex(std::string_view(s.signature))},
      {"canonical", crypto::base64_encode(s.canonical)},
  };
  j["version"] = o.version;
  j["args_extendable"] = actors::takes_caller_args(o);
  j["env"] = o.env;
  j["env_extendable"] = o.env_extendable;
  j["stdin_base64"] = crypto::base64_encode(o.stdin_prefix);
  j["stdin_appendable"] = o.stdin_prefix.empty() || o.stdin_appendable;
  j["retain_secs"] = o.retain_secs;
  if (actors::sells_durations(o)) j["durations"] = {{"min_secs", o.min_duration_secs}, {"max_secs", o.max_duration_secs}};
  if (o.mode == offer_mode::cgi) j["path"] = "/" + s.hash + ".cgi/";
  if (o.mode == offer_mode::mcp) j["tool"] = nlohmann::json::parse(o.manifest, nullptr, false);
  return j;
}

}  // namespace hearth::net
