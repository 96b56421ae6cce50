// A seller (`hearth seller`): its link to the hub, its jobs and their
// deadlines. Owns the job inventory (what runs here, until when) and
// enforces it whether or not the hub is there: a job's environment is
// destroyed at its expiry, on the hub's cancel, or when the seller stops.
// Provisioning and destruction block (job_host), so they run in detached
// helpers and come back as job_report messages.
//
// Interface: seller_agent_type (messages/interfaces.hpp):
//   (welcome_atom, id)      a session with the hub is up: heartbeats start, at once with the inventory
//   closed_atom             the session is down (the link reconnects by itself; jobs go on)
//   job_assignment          provision it (refused with a failed report when it does not fit)
//   (cancel_atom, id, why)  destroy now;  (extend_atom, id, until) a later expiry (capped)
//   job_report              a helper's outcome, sent on to the hub
//   (expire_atom, id)       the deadline timer
//   heartbeat_atom          the heartbeat timer: seq, free capacity, inventory
//   get_atom                -> the inventory (tests, `hearth seller` status)
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <memory>
#include <string>

#include "actors/job_host.hpp"
#include "crypto/secp256k1_key.hpp"
#include "messages/interfaces.hpp"
#include "protocols/market_wire.hpp"

namespace hearth::actors {

// Where the agent's messages to the hub go: the seller's hub link (set by
// whoever made both; false when no session is up, and the message is dropped).
struct seller_outbox {
  std::mutex mu;
  std::function<bool(const protocols::seller_message&)> send;
  bool operator()(const protocols::seller_message& m) {
    std::lock_guard lock(mu);
    return send && send(m);
  }
};

struct seller_config {
  std::string hub_url;
  std::string name;
  std::shared_ptr<const crypto::private_key> key;
  market_capacity capacity;
  std::uint64_t price_per_hour = 0;
  std::uint64_t max_duration_secs = 86400;
  job_host_config host;
  std::shared_ptr<job_host> jobs;  // built from host by whoever starts the agent (the relay reaches jobs through it too)
  std::shared_ptr<seller_outbox> outbox;
};

seller_agent_type spawn_seller_agent(caf::actor_system& sys, seller_config config);

}  // namespace hearth::actors
