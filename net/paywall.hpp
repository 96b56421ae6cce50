// x402 in front of priced offers. Translates only: it reads the payment
// headers, answers an unpaid call with the 402 challenge (the v2
// PAYMENT-REQUIRED header and the v1 JSON body at once, or a readable page
// for a browser), asks the payment registry to hold the payment before the
// task runs and to settle (or release) it after, and adds the receipt
// (PAYMENT-RESPONSE for v2, X-PAYMENT-RESPONSE for v1). Verification,
// exactly-once and settlement belong to the payment actors.
//
// X-402-Key / X-402-Pay / X-402-Max (the node signs for the caller, as
// os402 does) are honoured from a loopback peer only; the key is used for
// that one signature and never logged or stored.
#pragma once

#include <caf/fwd.hpp>

#include <functional>
#include <string>
#include <vector>

#include "messages/offer.hpp"
#include "messages/result.hpp"
#include "messages/task.hpp"
#include "net/http_types.hpp"
#include "net/node_info.hpp"
#include "payments/exact_evm.hpp"

namespace hearth::net {

// What a paid call carries, read off the request by the edge.
struct payment_request {
  std::string header;  // PAYMENT-SIGNATURE or X-PAYMENT value
  std::string resource_url;
  bool browser = false;
  bool loopback = false;
  std::string sign_key, pay, max;  // X-402-Key / -Pay / -Max
};
payment_request read_payment_request(const http_request& req);

// The requirements a call of this offer must meet, one per configured network.
std::vector<payments::requirement> requirements_for(const stored_offer& offer, const node_info& info,
                                                    const std::string& resource_url);
// 402 with both generations' challenge; error names why (empty: no payment sent).
http_response challenge_response(const std::vector<payments::requirement>& reqs, const std::string& error,
                                 bool browser = false);

// Runs the task: on_done(task, answer) or on_fail(failure) exactly once.
using task_runner = std::function<void(std::function<void(const task_record&, http_response)> on_done,
                                       std::function<void(const failure&)> on_fail)>;

// X-402-Key: the header value of a payment the node signs for the caller,
// within X-402-Pay / X-402-Max. Refused ("x402_key_not_loopback") unless the
// caller is on loopback.
result<std::string> sign_for_caller(const payment_request& pr, const std::vector<payments::requirement>& reqs);

// The paid path of a call to a priced offer, from challenge to receipt.
void paid_call(caf::event_based_actor* self, const stored_offer& offer, const node_info& info,
               const payment_request& pr, responder respond, task_runner run);

}  // namespace hearth::net
