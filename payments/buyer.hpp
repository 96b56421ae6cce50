// The buyer side of x402: reads a 402 answer's requirements, picks one by
// the user's preferences and spending caps, and signs the payment for it
// (EIP-3009 authorization, RFC 6979 low-s, v 27/28, a random 32-byte nonce).
// Used by `hearth curl`, the MCP gateway and the node's X-402-Key headers.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "crypto/secp256k1_key.hpp"
#include "payments/exact_evm.hpp"

namespace hearth::payments {

// One accepts[] entry of a challenge.
struct offered {
  int x402_version = 1;
  nlohmann::json entry;      // verbatim: v2 echoes it back as `accepted`
  nlohmann::json resource;   // v2: the challenge's resource object
  std::string scheme;
  std::string network_name;  // as the server wrote it
  const network* net = nullptr;  // nullptr: a network hearth does not know
  crypto::uint256 amount{};
  crypto::address pay_to, asset;
  std::uint64_t max_timeout_seconds = 60;
  std::string domain_name, domain_version;  // extra.name / extra.version
};

// The requirements of a 402 answer: the v2 PAYMENT-REQUIRED header when
// present (it wins), otherwise the v1 JSON body. Entries that cannot be
// parsed are skipped; none at all is a failure ("no_requirements").
result<std::vector<offered>> parse_challenge(std::string_view payment_required_header, std::string_view body);
// The challenge's `error` field (why a payment was refused), if any.
std::string challenge_error(std::string_view payment_required_header, std::string_view body);

// --pay: "USDC", "USDC@base", or JSON ({"asset":"USDC","network":"base"} or a list of them).
struct preference {
  std::string asset = "USDC";
  std::string network;  // empty: any; either of x402's names
};
result<std::vector<preference>> parse_preferences(std::string_view text);

// --max: "10.0", "USDC:10.0", "USDC@base:5.0" (several comma-separated).
struct spend_cap {
  std::string asset = "USDC";
  std::string network;  // empty: any
  crypto::uint256 amount{};
};
result<std::vector<spend_cap>> parse_caps(std::string_view text);

// The first entry (in preference order) that is the exact scheme, USDC on
// a known network, and within every cap that applies to it. Failures:
// "no_acceptable_requirement" (nothing matches the preferences) or
// "over_max" (the price is above the cap; the message shows both in tokens).
result<offered> choose(const std::vector<offered>& entries, const std::vector<preference>& prefs,
                       const std::vector<spend_cap>& caps);

// The same, from --pay and --max (or X-402-Pay / X-402-Max) as written.
result<offered> choose(const std::vector<offered>& entries, std::string_view pay, std::string_view max);
// What hearth's commands pay at most when the user gives no --max.
inline constexpr const char* default_max = "USDC:1.0";

// The PaymentPayload paying o (what MCP carries in _meta["x402/payment"]);
// rng_failure when no nonce could be drawn (nothing is signed then).
result<nlohmann::json> payment_payload(const offered& o, const crypto::private_key& key, std::uint64_t now_secs);
// The same as a header value (PAYMENT-SIGNATURE for v2, X-PAYMENT for v1).
result<std::string> sign_payment(const offered& o, const crypto::private_key& key, std::uint64_t now_secs);
inline const char* payment_header_name(const offered& o) { return o.x402_version == 2 ? "PAYMENT-SIGNATURE" : "X-PAYMENT"; }

}  // namespace hearth::payments
