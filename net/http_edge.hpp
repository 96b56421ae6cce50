// The HTTP edge actor: owns the Beast listener for its lifetime (a restarted
// edge binds again) and drains it on request. Routes translate requests into
// messages for the node's actors; the edge holds no other state.
//
// Interface: http_edge_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include <memory>

#include "messages/interfaces.hpp"
#include "messages/result.hpp"
#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

class server_tls;

inline const caf::atom_value http_edge_key = caf::atom("http");

struct http_edge_config {
  std::string listen = "127.0.0.1:3000";
  http_limits limits;
  unsigned io_threads = 1;
  std::shared_ptr<server_tls> tls;  // set: the node listens with TLS (--tls-cert/--tls-key)
};

// Binds synchronously, so a busy port is a start failure, not a crash loop.
result<http_edge_type> spawn_http_edge(caf::actor_system& sys, const http_edge_config& config, const node_info& info);

}  // namespace hearth::net
