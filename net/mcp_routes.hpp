// The node as an MCP server over Streamable HTTP (POST /mcp, JSON answers):
// initialize (version negotiation), ping, tools/list (the node's MCP offers
// as tools, price in the description) and tools/call (the offer run as a
// task in the sandbox: arguments on stdin, the JSON result as
// structuredContent plus a text item). A priced call is paid with x402:
// the payment in params._meta["x402/payment"] or in the HTTP payment
// headers; unpaid, the result is isError with the PaymentRequired as its
// text and in result._meta["x402/payment-required"]; the receipt is in
// result._meta["x402/payment-response"]. Tool names are the offers' names.
#pragma once

#include <caf/fwd.hpp>

#include <string>
#include <vector>

#include "messages/offer.hpp"

#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

bool route_mcp(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond);

// The tool name each of offers has in tools/list ("" for an offer that is no MCP tool).
std::vector<std::string> mcp_tool_names(std::vector<stored_offer> offers);

}  // namespace hearth::net
