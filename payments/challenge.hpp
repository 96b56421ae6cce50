// What the seller side of x402 puts on the wire besides the scheme itself:
// the 402 challenge in both generations (v1 JSON body, v2 PAYMENT-REQUIRED
// header), the receipt (PAYMENT-RESPONSE / X-PAYMENT-RESPONSE) and the price
// of an offer in atomic units.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "messages/offer.hpp"
#include "payments/exact_evm.hpp"

namespace hearth::payments {

// {x402Version:1, error, accepts:[v1 requirement...]}
nlohmann::json payment_required_v1(const std::vector<requirement>& reqs, const std::string& error);
// {x402Version:2, error, resource:{url, description, mimeType}, accepts:[v2...]}
nlohmann::json payment_required_v2(const std::vector<requirement>& reqs, const std::string& error);

// A header value: standard base64 of the compact JSON.
std::string encode_header(const nlohmann::json& j);

struct settlement {
  bool success = false;
  std::string transaction;  // 0x + 64 hex; empty when nothing was settled
  std::string network;      // as the payment named it (v1 name or CAIP-2)
  crypto::address payer;
  std::string error_reason;  // when !success
  std::string ledger_entry;  // hearth's own ledger entry when no chain transaction settled it ("ledgerEntry")
  // Held and charged, its transaction not mined yet (or, with a settlement
  // pass, not sent yet): "settlementPending" and the "paymentId" to follow
  // at GET /payments/ID.
  bool pending = false;
  std::string payment_id;
};
nlohmann::json settle_response(const settlement& s);

// Atomic USDC units one call of the offer costs: the per-call price, or the
// per-second price times the offer's maximum wall seconds (paid up front).
// With duration_secs (a buyer's choice on a per-second offer), that many seconds.
// An offer with price options: its first option's.
crypto::uint256 offer_price(const offer& o, std::uint64_t duration_secs = 0);
// One option's price for a run of seconds (per-second options) or a call.
crypto::uint256 option_price(const price_option& p, std::uint64_t seconds);
bool is_free(const offer& o);
bool priced_per_second(const offer& o);

// "0.001" for 1000 atomic units of a 6-decimal token.
std::string token_amount(const crypto::uint256& atomic, unsigned decimals = 6);
// "0.001" -> 1000; at most `decimals` fractional digits; nullopt-like failure otherwise.
result<crypto::uint256> parse_token_amount(std::string_view text, unsigned decimals = 6);

}  // namespace hearth::payments
