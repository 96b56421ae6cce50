// Translates the node's own HTTP endpoints into actor messages:
// GET /health (supervisor report + node record as JSON) and GET / (an HTML
// index). Anything else is a JSON 404; a known path with a wrong method 405.
#pragma once

#include <caf/fwd.hpp>

#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

request_handler make_node_routes(caf::actor_system& sys, node_info info);

}  // namespace hearth::net
