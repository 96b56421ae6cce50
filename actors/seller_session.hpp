// One seller connected to this hub over its WebSocket, from the hub's
// challenge to the socket's end. Owns who the seller proved to be (its
// hello: a signature by its secp256k1 key over the fresh nonce; accepted
// when the hub takes any seller or lists its address), its heartbeats
// (sequence numbers only go up; free capacity; its job inventory, passed
// to the job registry to reconcile), and the assignments in flight (each
// answered by the seller's report on that job), and the relayed SSH streams
// of buyers who reach the seller's jobs through the hub (at most 256).
//
// Interface: seller_session_type (messages/interfaces.hpp).
// Timers: hb_check every heartbeat interval: no hello within hello_timeout
// -> refused; stale_after heartbeats missed -> stale (no new jobs);
// offline_after missed -> offline: the socket is closed and its jobs are
// lost (the job registry's gone), unless the seller comes back and reports
// them. Nothing is stored here: the seller is the truth of what it runs.
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "messages/interfaces.hpp"

namespace hearth::actors {

struct market_config {
  std::set<std::string> accepted_sellers;  // lowercase 0x addresses; empty: any seller
  std::chrono::milliseconds heartbeat{2000};
  unsigned stale_after = 3;    // heartbeat intervals missed
  unsigned offline_after = 6;
  std::chrono::milliseconds hello_timeout{10000};  // a socket that says no hello is closed (hub: 5 heartbeats, at least 2 s)
  std::chrono::milliseconds assign_timeout{120000};  // a seller's provisioning, answered or failed
};

seller_session_type spawn_seller_session(caf::actor_system& sys, seller_link_type link,
                                         std::shared_ptr<const market_config> config);

}  // namespace hearth::actors
