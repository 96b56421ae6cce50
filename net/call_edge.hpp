// The edges' one way to call an offer: a short-lived actor sends the call to
// the call service and turns what comes back into the caller's answer. For
// a CGI call it is also the call's stdout stream (call_stream_type): a
// response larger than stream_threshold_bytes starts with the program's head
// and its body follows as the chunks come, each acknowledged once the client
// has room, so a slow client slows the program, not the node.
#pragma once

#include <caf/fwd.hpp>

#include <functional>

#include "messages/call.hpp"
#include "messages/result.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

// The caller's answer to a finished call, or to the failure that ended it.
using call_answer = std::function<http_response(const result<call_result>&)>;

// stream_headers: for a CGI call, the headers a streamed response starts
// with (the read token is added); streaming is off for the other modes.
void call_offer(caf::actor_system& sys, call_request req, responder respond, call_answer answer,
                std::optional<header_list> stream_headers = std::nullopt);

}  // namespace hearth::net
