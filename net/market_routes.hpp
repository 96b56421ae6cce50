// The marketplace's HTTP and WebSocket edge, with the seed's paths and JSON
// field names (job_id, seller_ip, ssh_port, ssh_user; ssh_pubkey,
// preferred_image, cpu_quota, mem_limit):
//   GET  /sellers/online          the connected sellers (a JSON list)
//   GET  /market/sellers          the seller WebSocket (protocols/market_wire)
//   POST /jobs/submit             a job; 200 when it runs, 202 while it provisions
//   GET  /jobs?state=&after=&limit=   the host's listing (host token or owner signature)
//   GET  /jobs/{id}, DELETE /jobs/{id}, POST /jobs/{id}/extend {"duration_secs": N},
//   GET  /jobs/{id}/ssh (WebSocket: the SSH bytes, relayed over the seller's socket)
//                                 the submitter (its job_token as Bearer) or the host
// Who may submit is the hub's config: anyone, bounded per client address,
// or the host only.
#pragma once

#include <caf/fwd.hpp>

#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

bool route_market(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond);

}  // namespace hearth::net
