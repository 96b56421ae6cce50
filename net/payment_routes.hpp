// Translates the payment endpoints into payment_registry messages:
//   GET  /facilitator/supported, POST /facilitator/verify, POST /facilitator/settle
//        the node as an x402 facilitator (the reference API), settling into its ledger;
//   GET  /payments/ledger?after=KEY&limit=N   receivables (loopback peers only);
//   GET  /payments/ID                         one payment record (loopback peers only).
#pragma once

#include <caf/fwd.hpp>
#include <nlohmann/json_fwd.hpp>

#include "messages/payment.hpp"
#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

bool route_payments(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond);

nlohmann::json payment_to_json(const payment_record& p);
nlohmann::json ledger_entry_to_json(const ledger_entry& e);

}  // namespace hearth::net
