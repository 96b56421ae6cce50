// Translates the node's own HTTP endpoints into actor messages:
// GET /health (supervisor report + node record as JSON), GET / (an HTML
// index) and GET /metrics (counting the edge's requests into http). Anything
// else is a JSON 404; a known path with a wrong method 405.
#pragma once

#include <caf/fwd.hpp>

#include <memory>

#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

class http_metrics;

request_handler make_node_routes(caf::actor_system& sys, node_info info, std::shared_ptr<http_metrics> http = nullptr);

}  // namespace hearth::net
