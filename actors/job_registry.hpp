// The hub's jobs: makes them (id, token, the queued record) and activates
// each job's actor from storage when something must change it; reads come
// from storage, which every job actor writes before it answers. Checks the
// job token (stored hashed, compared in constant time) before a read or a
// change; a seller's report counts only for jobs placed on that seller.
//
// Interface: job_registry_type (messages/interfaces.hpp).
// A submit to a priced seller: the matchmaker's quote (the seller it would
// pick, its price for the duration) is the x402 challenge when no payment
// came; with one, the job is made and its actor holds the payment.
// Timers: the sweep (sweep_every): jobs whose expiry passed are expired
// (their seller enforces the same deadline; this covers sellers away), and
// ended jobs older than the retention are removed. At start, jobs a
// stopped hub left unplaced (queued) fail.
// In a cluster (actors/cluster_sellers.hpp): a job may run on a member's
// seller; that member's registry forwards its seller's reports on jobs it
// does not hold here, and its seller's departure; a member gone loses the
// jobs on its sellers until they report again (reconciled).
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>

#include "actors/call_rules.hpp"
#include "messages/interfaces.hpp"
#include "messages/result.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

inline const caf::atom_value job_registry_key = caf::atom("jobs");

struct job_registry_config {
  std::chrono::milliseconds sweep_every{1000};
  std::chrono::milliseconds job_idle{30000};
  std::chrono::milliseconds retention{30ll * 24 * 3600 * 1000};  // ended jobs' records, then removed
  payment_terms terms;  // the networks priced jobs are paid on
  std::string node_name;  // this hub's name in its cluster ("" outside one)
};

result<job_registry_type> spawn_job_registry(caf::actor_system& sys, storage::store& db, job_registry_config config);

}  // namespace hearth::actors
