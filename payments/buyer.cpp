#include "payments/buyer.hpp"


#include <algorithm>
#include <cctype>

#include "crypto/random.hpp"
#include "crypto/base64.hpp"
#include "payments/challenge.hpp"

namespace hearth::payments {
namespace {

using nlohmann::json;

std::string text(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool same_name(std::string a, std::string b) {
  auto lower = [](std::string& s) { std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); }); };
  lower(a);
  lower(b);
  return a == b;
}

// Whether a user's network name (either generation's) names o's network.
bool network_matches(const std::string& wanted, const offered& o) {
  if (wanted.empty()) return true;
  if (same_name(wanted, o.network_name)) return true;
  const network* n = find_network(wanted);
  return n && o.net == n;
}

result<offered> parse_entry(const json& e, int version, const json& resource) {
  if (!e.is_object()) return fail(payment_errc::bad_requirement, "not an object");
  offered o;
  o.x402_version = version;
  o.entry = e;
  o.resource = resource;
  o.scheme = text(e, "scheme");
  o.network_name = text(e, "network");
  o.net = find_network(o.network_name);
  auto amount = crypto::parse_uint256(text(e, version == 2 ? "amount" : "maxAmountRequired"));
  auto pay_to = crypto::parse_address(text(e, "payTo"));
  auto asset = crypto::parse_address(text(e, "asset"));
  if (!amount || !pay_to || !asset) return fail(payment_errc::bad_requirement, "amount, payTo or asset unreadable");
  o.amount = *amount;
  o.pay_to = *pay_to;
  o.asset = *asset;
  if (auto t = e.find("maxTimeoutSeconds"); t != e.end() && t->is_number_unsigned()) o.max_timeout_seconds = *t;
  if (auto extra = e.find("extra"); extra != e.end() && extra->is_object()) {
    o.domain_name = text(*extra, "name");
    o.domain_version = text(*extra, "version");
  }
  return o;
}

json parse_json_object(std::string_view raw) {
  auto j = json::parse(raw, nullptr, false);
  return j.is_object() ? j : json();
}

json challenge_json(std::string_view header, std::string_view body) {
  if (!header.empty())
    if (auto decoded = crypto::base64_decode(header)) {
      auto j = parse_json_object(*decoded);
      if (!j.is_null()) return j;
    }
  return parse_json_object(body);
}

// "a, b,,c" -> {"a", "b", "c"}
std::vector<std::string> comma_items(std::string_view spec) {
  std::vector<std::string> out;
  std::string s(spec);
  for (std::size_t start = 0; start <= s.size();) {
    auto comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? s.size() + 1 : comma + 1;
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string hex32(const std::uint8_t* p) { return "0x" + crypto::to_hex(p, 32); }

}  // namespace

result<std::vector<offered>> parse_challenge(std::string_view header, std::string_view body) {
  json j = challenge_json(header, body);
  if (j.is_null()) return fail(payment_errc::no_requirements, "the 402 answer carries no x402 challenge");
  int version = 1;  // a v1 body may leave it out
  if (auto v = j.find("x402Version"); v != j.end()) {
    if (!v->is_number_integer() || (*v != 1 && *v != 2))
      return fail(payment_errc::no_requirements, "the 402 answer names an x402Version hearth does not speak");
    version = v->get<int>();
  }
  json resource = j.contains("resource") && j["resource"].is_object() ? j["resource"] : json::object();
  std::vector<offered> out;
  if (j.contains("accepts") && j["accepts"].is_array())
    for (const auto& e : j["accepts"])
      if (auto o = parse_entry(e, version, resource)) out.push_back(std::move(*o));
  if (out.empty()) return fail(payment_errc::no_requirements, "the 402 answer lists no payment requirement hearth can read");
  return out;
}

std::string challenge_error(std::string_view header, std::string_view body) {
  json j = challenge_json(header, body);
  return j.is_object() ? text(j, "error") : "";
}

result<std::vector<preference>> parse_preferences(std::string_view spec) {
  std::vector<preference> out;
  if (!spec.empty() && (spec.front() == '{' || spec.front() == '[')) {
    auto j = json::parse(spec, nullptr, false);
    if (j.is_object()) j = json::array({j});
    if (!j.is_array()) return fail(payment_errc::bad_preference, "--pay JSON is an object or a list of {asset, network}");
    for (const auto& item : j) {
      if (!item.is_object()) return fail(payment_errc::bad_preference, "--pay JSON items are objects");
      preference p;
      if (item.contains("asset")) p.asset = text(item, "asset");
      p.network = text(item, "network");
      out.push_back(p);
    }
    return out;
  }
  for (const auto& item : comma_items(spec)) {
    preference p;
    auto at = item.find('@');
    p.asset = item.substr(0, at);
    if (at != std::string::npos) p.network = item.substr(at + 1);
    if (p.asset.empty()) return fail(payment_errc::bad_preference, "--pay items look like USDC or USDC@base");
    out.push_back(p);
  }
  return out;
}

result<std::vector<spend_cap>> parse_caps(std::string_view spec) {
  std::vector<spend_cap> out;
  for (const auto& item : comma_items(spec)) {
    spend_cap c;
    auto colon = item.rfind(':');
    std::string amount = colon == std::string::npos ? item : item.substr(colon + 1);
    if (colon != std::string::npos) {
      std::string who = item.substr(0, colon);
      auto at = who.find('@');
      c.asset = who.substr(0, at);
      if (at != std::string::npos) c.network = who.substr(at + 1);
    }
    auto v = parse_token_amount(amount);
    if (!v) return fail(payment_errc::bad_max, "--max items look like 10.0, USDC:10.0 or USDC@base:5.0");
    c.amount = *v;
    out.push_back(c);
  }
  return out;
}

result<offered> choose(const std::vector<offered>& entries, const std::vector<preference>& prefs,
                       const std::vector<spend_cap>& caps) {
  std::vector<preference> order = prefs.empty() ? std::vector<preference>{preference{}} : prefs;
  const offered* over = nullptr;
  const spend_cap* over_cap = nullptr;
  for (const auto& pref : order) {
    for (const auto& o : entries) {
      if (o.scheme != "exact" || !o.net || o.asset != o.net->usdc) continue;
      if (!same_name(pref.asset, "USDC") || !network_matches(pref.network, o)) continue;
      const spend_cap* exceeded = nullptr;
      for (const auto& c : caps)
        if (same_name(c.asset, "USDC") && network_matches(c.network, o) && c.amount < o.amount) exceeded = &c;
      if (!exceeded) return o;
      if (!over) over = &o, over_cap = exceeded;
    }
  }
  if (over)
    return fail(payment_errc::over_max, "the price " + token_amount(over->amount) + " USDC on " + over->network_name +
                                " is above --max " + token_amount(over_cap->amount) + " USDC");
  return fail(payment_errc::no_acceptable_requirement, "the server asks for no payment matching --pay (USDC on a known network)");
}

result<offered> choose(const std::vector<offered>& entries, std::string_view pay, std::string_view max) {
  auto prefs = parse_preferences(pay);
  if (!prefs) return prefs.error();
  auto caps = parse_caps(max);
  if (!caps) return caps.error();
  return choose(entries, *prefs, *caps);
}

result<json> payment_payload(const offered& o, const crypto::private_key& key, std::uint64_t now) {
  authorization a;
  a.from = key.to_address();
  a.to = o.pay_to;
  a.value = o.amount;
  if (auto drawn = crypto::random_fill(a.nonce.data(), a.nonce.size()); !drawn) return drawn.error();
  // v1 clients backdate validAfter by ten minutes for clock skew; v2 clients send 0.
  std::uint64_t after = o.x402_version == 1 && now > 600 ? now - 600 : 0;
  std::uint64_t before = now + o.max_timeout_seconds;
  a.valid_after = *crypto::parse_uint256(std::to_string(after));
  a.valid_before = *crypto::parse_uint256(std::to_string(before));
  std::string name = o.domain_name.empty() && o.net ? o.net->usdc_name : o.domain_name;
  std::string version = o.domain_version.empty() && o.net ? o.net->usdc_version : o.domain_version;
  auto domain = domain_separator(name, version, o.net ? o.net->chain_id : 0, o.asset);
  auto sig = key.sign_digest(transfer_digest(domain, a));
  json auth = {{"from", a.from.checksummed()},
               {"to", a.to.checksummed()},
               {"value", crypto::to_decimal(a.value)},
               {"validAfter", std::to_string(after)},
               {"validBefore", std::to_string(before)},
               {"nonce", hex32(a.nonce.data())}};
  json payload = {{"signature", sig.to_0x()}, {"authorization", auth}};
  if (o.x402_version == 2)
    return json{{"x402Version", 2}, {"payload", payload}, {"resource", o.resource}, {"accepted", o.entry}};
  return json{{"x402Version", 1}, {"scheme", o.scheme}, {"network", o.network_name}, {"payload", payload}};
}

result<std::string> sign_payment(const offered& o, const crypto::private_key& key, std::uint64_t now) {
  auto payload = payment_payload(o, key, now);
  if (!payload) return payload.error();
  return encode_header(*payload);
}

}  // namespace hearth::payments
