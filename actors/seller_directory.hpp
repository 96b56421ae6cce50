// The sellers online at this hub, and the matchmaker. Owns the hub's view
// of each connected seller (what its session last reported) and the
// capacity each placed job holds on it until release. Placement policy:
// among sellers that are not stale, offer the image, and have the job's
// cpus, memory and a job slot free, the cheapest; at equal price the least
// loaded (running jobs over total slots), then the earliest connected (a
// job longer than a seller's maximum is cut to it, as the seller would). A
// place reserves at once, so concurrent submits never share one slot.
// Nothing here is stored: sessions put their sellers again after a restart.
//
// Interface: seller_directory_type (messages/interfaces.hpp):
//   (put_atom, seller_info, session)    a hello accepted or a heartbeat: the seller's latest
//   (drop_atom, address, session)       the session ended (ignored when a newer session holds address)
//   (place_atom, job id, job_spec)      -> (seller_info, session), or unknown_image / no_seller_capacity
//   (quote_atom, job_spec)              -> the seller a place would pick now (its price), reserving nothing
//   (release_atom, address, job id)     the job's share is free again
//   list_atom                           -> the sellers online, by id
//   health_atom                         -> how many (the cluster heartbeat's count)
//   (get_atom, address)                 -> its session (job_not_found's cousin: seller_unavailable)
#pragma once

#include <caf/actor_system.hpp>

#include "messages/interfaces.hpp"

namespace hearth::actors {

inline const caf::atom_value seller_directory_key = caf::atom("sellers");

// max_sellers: sellers listed at once (more are not placed on, and say so in the log).
seller_directory_type spawn_seller_directory(caf::actor_system& sys, std::size_t max_sellers = 100000);

}  // namespace hearth::actors
