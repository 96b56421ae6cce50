#include "payments/challenge.hpp"

#include "crypto/base64.hpp"

namespace hearth::payments {

using nlohmann::json;

namespace {

crypto::uint256 from_u128(unsigned __int128 v) {
  crypto::uint256 out{};
  for (int i = 31; i >= 16; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
  return out;
}

}  // namespace

json payment_required_v1(const std::vector<requirement>& reqs, const std::string& error) {
  json accepts = json::array();
  for (const auto& r : reqs) accepts.push_back(requirement_v1(r));
  return {{"x402Version", 1}, {"error", error}, {"accepts", accepts}};
}

json payment_required_v2(const std::vector<requirement>& reqs, const std::string& error) {
  json accepts = json::array();
  for (const auto& r : reqs) accepts.push_back(requirement_v2(r));
  json resource = json::object();
  if (!reqs.empty())
    resource = {{"url", reqs.front().resource},
                {"description", reqs.front().description},
                {"mimeType", reqs.front().mime_type}};
  return {{"x402Version", 2}, {"error", error}, {"resource", resource}, {"accepts", accepts}};
}

std::string encode_header(const json& j) { return crypto::base64_encode(j.dump()); }

json settle_response(const settlement& s) {
  json j = {{"success", s.success},
            {"transaction", s.transaction},
            {"network", s.network},
            {"payer", s.payer.checksummed()}};
  if (!s.success) j["errorReason"] = s.error_reason;
  if (!s.ledger_entry.empty()) j["ledgerEntry"] = s.ledger_entry;
  if (s.pending) {
    j["settlementPending"] = true;
    j["paymentId"] = s.payment_id;
  }
  return j;
}

crypto::uint256 option_price(const price_option& p, std::uint64_t seconds) {
  return from_u128(static_cast<unsigned __int128>(p.amount) * (p.per_second ? seconds : 1));
}

crypto::uint256 offer_price(const offer& o, std::uint64_t duration_secs) {
  if (!o.prices.empty()) return option_price(o.prices.front(), duration_secs ? duration_secs : o.limits.wall_secs);
  if (o.price_per_second == 0) return from_u128(o.price_per_call);
  return from_u128(static_cast<unsigned __int128>(o.price_per_second) * (duration_secs ? duration_secs : o.limits.wall_secs));
}

bool is_free(const offer& o) { return o.prices.empty() && o.price_per_call == 0 && o.price_per_second == 0; }

bool priced_per_second(const offer& o) { return o.prices.empty() ? o.price_per_second != 0 : o.prices.front().per_second; }

std::string token_amount(const crypto::uint256& atomic, unsigned decimals) {
  std::string digits = crypto::to_decimal(atomic);
  if (digits.size() <= decimals) digits.insert(0, decimals + 1 - digits.size(), '0');
  std::string whole = digits.substr(0, digits.size() - decimals);
  std::string frac = digits.substr(digits.size() - decimals);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? whole : whole + "." + frac;
}

result<crypto::uint256> parse_token_amount(std::string_view text, unsigned decimals) {
  auto dot = text.find('.');
  std::string whole(text.substr(0, dot));
  std::string frac = dot == std::string_view::npos ? "" : std::string(text.substr(dot + 1));
  auto digits_only = [](const std::string& s) { return s.find_first_not_of("0123456789") == std::string::npos; };
  if ((whole.empty() && frac.empty()) || !digits_only(whole) || !digits_only(frac) || frac.size() > decimals)
    return fail(payment_errc::bad_amount, "an amount is a decimal number with at most " + std::to_string(decimals) +
                                  " decimals, e.g. 0.25");
  frac.append(decimals - frac.size(), '0');
  std::string atomic = whole + frac;
  atomic.erase(0, std::min(atomic.find_first_not_of('0'), atomic.size() - 1));
  auto v = crypto::parse_uint256(atomic);
  if (!v) return fail(payment_errc::bad_amount, "the amount is too large");
  return *v;
}

}  // namespace hearth::payments
