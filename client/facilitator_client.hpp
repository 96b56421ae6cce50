// The facilitator settlement backend's HTTP side: POSTs JSON to a remote
// x402 facilitator (/verify, /settle) with a deadline per request and a few
// retries on connection errors and 5xx answers. A request that times out is
// reported as "facilitator_timeout" (not a refusal: the payment actor keeps
// the settlement pending and tries again).
#pragma once

#include <chrono>
#include <string>

#include "actors/payment_actor.hpp"

namespace hearth::client {

actors::facilitator_call make_facilitator_call(std::string base_url, std::chrono::milliseconds timeout,
                                               unsigned attempts = 3);

}  // namespace hearth::client
