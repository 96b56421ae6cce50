// JSON-RPC 2.0 over HTTP(S) for the chain settlement backend: one POST per
// call with a deadline. No answer is chain_unavailable; an "error" member is
// chain_rpc_error with its message and code.
#pragma once

#include <chrono>
#include <string>

#include "payments/chain_client.hpp"

namespace hearth::client {

payments::json_rpc_call make_json_rpc_call(std::string url, std::chrono::milliseconds timeout);

}  // namespace hearth::client
