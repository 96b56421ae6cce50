// Translates the offer endpoints into offer_registry messages:
//   POST /offers        headers X-Hearth-Offer (base64 canonical offer) and
//                       X-Hearth-Signature (0x + 65 bytes hex); body: the
//                       executable (empty if the node already has it)
//   GET  /offers        ?after=HASH&limit=N (at most 1000): {offers, next}
//   GET  /offers/HASH
#pragma once

#include <caf/fwd.hpp>

#include "net/http_types.hpp"

namespace hearth::net {

inline constexpr const char* offer_upload_path = "/offers";

// True when the request was for an offer endpoint (and has been answered).
bool route_offers(caf::actor_system& sys, http_request& req, responder& respond);

}  // namespace hearth::net
