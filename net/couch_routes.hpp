// The couch's HTTP API with seed-couch's paths and JSON field names.
// Public: POST /couch/redeem, GET /couch/status (?token= or Bearer).
// Host (the owner: Authorization: Bearer <host token>, or an owner
// signature, see net/owner_auth.hpp):
// POST/GET /couch/invites, DELETE /couch/invites/:id, GET /couch/guests,
// GET /couch/guests/:id/status, DELETE /couch/guests/:id (kill switch),
// POST /couch/guests/:id/activate, PUT /couch/guests/:id/usage.
#pragma once

#include <caf/fwd.hpp>

#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

bool route_couch(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond);

}  // namespace hearth::net
