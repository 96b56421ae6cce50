// x402 at the HTTP edge, translation only: the payment headers of a request
// into a call's payment, a call's payment options into the 402 challenge
// (the v2 PAYMENT-REQUIRED header and the v1 JSON body at once, or a
// readable page for a browser), and a settled payment into its receipt
// (PAYMENT-RESPONSE for v2, X-PAYMENT-RESPONSE for v1). What a call must
// pay and when it is charged are the call actor's (actors/call_rules).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "messages/call.hpp"
#include "messages/result.hpp"
#include "net/http_types.hpp"
#include "payments/exact_evm.hpp"

namespace hearth::net {

// PAYMENT-SIGNATURE (or X-PAYMENT), X-402-Key/-Pay/-Max, the resource URL
// and whether the peer is on loopback.
call_payment read_call_payment(const http_request& req);
// The seconds a buyer asks to pay for on a per-second offer: the
// X-Hearth-Duration header or the hearth-duration query parameter; 0 when
// neither is there; bad_request when not a whole number of seconds.
result<std::uint64_t> requested_duration(const http_request& req);
// A browser (it accepts HTML and says Mozilla) is shown a page, not JSON.
bool wants_payment_page(const http_request& req);

std::vector<payments::requirement> to_requirements(const std::vector<payment_option>& options);
// The v2 PAYMENT-REQUIRED object; error names why (empty: no payment sent).
nlohmann::json payment_required_json(const std::vector<payments::requirement>& reqs, const std::string& error);
// 402 with both generations' challenge.
http_response challenge_response(const std::vector<payments::requirement>& reqs, const std::string& error,
                                 bool browser = false);

// The settle response object of a settled (or pending) payment, and the header carrying it.
nlohmann::json receipt_json(const payment_record& p);
void add_receipt(http_response& res, const payment_record& p);

}  // namespace hearth::net
