// The rules of a paid call, as plain functions the call actor applies: what
// a call of an offer must pay (one x402 requirement per network the node
// takes), when the node may sign a payment on the caller's behalf, and when
// the handler's answer counts as one (charged) for each mode.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/call.hpp"
#include "messages/result.hpp"
#include "payments/exact_evm.hpp"

namespace hearth::actors {

// What the node asks of every paid call (from its config).
struct payment_terms {
  std::vector<std::string> networks = {"base"};  // x402 v1 names, in the order offered
  std::uint64_t max_timeout_secs = 300;
};

// duration_secs: the run a buyer of a per-second offer pays for; 0: the wall limit.
std::vector<payments::requirement> requirements_for(const stored_offer& offer, const payment_terms& terms,
                                                    const std::string& resource_url, std::uint64_t duration_secs = 0);
// One requirement per network the node takes, for any priced resource (a marketplace job).
std::vector<payments::requirement> requirements_of(const crypto::address& pay_to, const crypto::uint256& amount,
                                                    const payment_terms& terms, const std::string& resource_url,
                                                    const std::string& description, const std::string& mime_type);
payment_option to_option(const payments::requirement& r);
// The requirement an option stands for; fails for a network or amount the node does not know.
result<payments::requirement> to_requirement(const payment_option& o);
payment_claim claim_for(const payments::requirement& r, const std::string& header, const std::string& offer_hash);

// X-402-Key: the header value of a payment the node signs for the caller,
// within X-402-Pay / X-402-Max. Refused (x402_key_not_loopback) unless the
// caller is on loopback; the key is used for this one signature, never
// logged or stored.
result<std::string> sign_for_caller(const call_payment& payment, const std::vector<payments::requirement>& reqs);
// The payment header a caller sent, or signed for it (X-402-Key), and the
// requirement whose network it names (matched: null when none does). ""
// when the caller sent none. Fails when the header does not decode or the
// signing is refused (a 402 status code: pay again; else: the caller's mistake).
result<std::string> payment_header_for(const call_payment& payment, const std::vector<payments::requirement>& reqs,
                                       const payments::requirement*& matched);

// What the offer lets its caller add (arguments, environment, stdin after
// the owner's, a duration to pay for): checked before any payment is asked for.
result<void> check_caller_input(const offer& o, const task_input& in);

// The verdicts (see call_verdict). stdout_head: the output's start (the
// head is in the first 64 KiB of a spilled output); stdout: all of it.
call_verdict cgi_verdict(const task_record& t, std::string_view stdout_head);
call_verdict tool_verdict(const task_record& t, const std::string& stdout_data, const std::string& output_schema);
call_verdict batch_verdict(const task_record& t);

}  // namespace hearth::actors
