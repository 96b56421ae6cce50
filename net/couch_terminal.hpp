// GET /couch/guest/terminal: a shell on a pty in the guest's environment
// over a WebSocket (the guest token as ?token= or Authorization: Bearer;
// ?cols=&rows= for the first size). Binary messages are the terminal's bytes
// both ways; text messages are JSON control: {"type":"resize","cols":..,"rows":..}
// from the client (anything else is ignored), and {"type":"exit",
// "exitCode":..,"signal":..} from the node when the shell ends, then a normal close.
#pragma once

#include <caf/fwd.hpp>

#include "net/http_types.hpp"

namespace hearth::net {

void open_guest_terminal(caf::actor_system& sys, const http_request& req, responder respond, std::string token);

}  // namespace hearth::net
