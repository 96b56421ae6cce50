#include "net/offer_json.hpp"

#include "actors/offer_validation.hpp"

#include <nlohmann/json.hpp>

#include "crypto/address.hpp"
#include "crypto/base64.hpp"
#include "payments/challenge.hpp"

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
  // "price" is the first way to pay (the node's networks, or the first option); "prices" lists the options.
  nlohmann::json price = {{"asset", "USDC"}, {"decimals", 6}};
  std::uint64_t amount = o.prices.empty() ? (o.price_per_second ? o.price_per_second : o.price_per_call) : o.prices.front().amount;
  if (payments::priced_per_second(o)) {
    price["per_second"] = std::to_string(amount);
    price["per_second_usdc"] = usdc_string(amount);
  } else {
    price["per_call"] = std::to_string(amount);
    price["per_call_usdc"] = usdc_string(amount);
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
      {"free", payments::is_free(o)},
      {"limits", {{"ram_mb", o.limits.ram_mb}, {"cpu_secs", o.limits.cpu_secs}, {"wall_secs", o.limits.wall_secs},
                  {"network", o.limits.network}, {"max_output_bytes", o.limits.max_output_bytes},
                  {"cpu_units", o.limits.cpu_units ? o.limits.cpu_units : 1000}}},
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
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : actors::executable_variants(o)) {
    nlohmann::json one = {{"arch", v.arch}, {"sha256", crypto::to_hex(std::string_view(v.sha256))}, {"size", v.size}};
    if (!v.url.empty()) one["url"] = v.url;
    variants.push_back(std::move(one));
  }
  j["variants"] = variants;
  if (!o.executable_url.empty()) j["executable"]["url"] = o.executable_url;
  if (!o.prices.empty()) {
    nlohmann::json prices = nlohmann::json::array();
    for (const auto& p : o.prices)
      prices.push_back({{"network", p.network},
                        {"token", address_of(p.asset)},
                        {"amount", std::to_string(p.amount)},
                        {"amount_usdc", usdc_string(p.amount)},
                        {"per_second", p.per_second},
                        {"pay_to", address_of(p.pay_to.size() == 20 ? p.pay_to : o.pay_to)}});
    j["prices"] = prices;
  }
  // Private inputs: their hashes and whether this node holds them; never their values.
  nlohmann::json secret = nlohmann::json::object();
  if (!o.env_private_sha256.empty())
    secret["env"] = {{"sha256", crypto::to_hex(std::string_view(o.env_private_sha256))}, {"on_node", s.has_private_env}};
  if (!o.stdin_private_sha256.empty())
    secret["stdin"] = {{"sha256", crypto::to_hex(std::string_view(o.stdin_private_sha256))}, {"on_node", s.has_private_stdin}};
  if (!secret.empty()) j["private"] = secret;
  if (!o.pool.empty()) j["pool"] = o.pool;
  if (!o.limits.tcp_bind.empty() || !o.limits.tcp_connect.empty())
    j["limits"]["tcp"] = {{"bind", o.limits.tcp_bind}, {"connect", o.limits.tcp_connect}};
  if (actors::sells_durations(o)) j["durations"] = {{"min_secs", o.min_duration_secs}, {"max_secs", o.max_duration_secs}};
  if (o.mode == offer_mode::cgi) j["path"] = "/" + s.hash + ".cgi/";
  if (o.mode == offer_mode::mcp) j["tool"] = nlohmann::json::parse(o.manifest, nullptr, false);
  return j;
}

}  // namespace hearth::net
