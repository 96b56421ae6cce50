// One marketplace job on its hub, activated from storage by the job
// registry and passivated when idle. The single writer of its record:
// every state change (with its reason and time in the history, and the
// record's indexes) is one RocksDB batch, stored before it is reported.
//
// State: job_record (column "jobs"). Interface: job_actor_type
// (messages/interfaces.hpp):
//   (start_atom, wait ms, claim) -> job_submission   queued -> assigned (the matchmakers'
//                                         seller, this hub's or a member's; for a priced seller, the submit's payment held
//                                         first: it must be for that seller at that price) ->
//                                         provisioning (the assignment sent) -> running (the
//                                         seller's access details; the payment charged) | failed
//                                         (the payment released); answered when it runs or
//                                         fails, or after wait ms with the state then
//   get_atom              -> job_record
//   (cancel_atom, reason) -> job_record   cancelled: the seller destroys the environment now
//   (extend_atom, secs, payment) -> job_submission   a running job's expiry moves on, paid
//                                         like the submit when the seller charges
//   job_report            (no reply)      the seller's word: running (also after a loss:
//                                         reconciled), failed, expired, cancelled
//   (lost_atom, reason)   (no reply)      its seller went offline
//   expire_atom           (no reply)      its expiry passed (the registry's sweep)
// Timers: answer_atom (the submit's wait); passivates after idle_after.
#pragma once

#include <caf/local_actor.hpp>

#include <chrono>

#include "actors/call_rules.hpp"
#include "messages/interfaces.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

// node_name: this hub's in its cluster ("" outside one); placement across it: actors/cluster_sellers.hpp.
job_actor_type spawn_job_actor(caf::local_actor* parent, storage::store* db, job_record record,
                               std::shared_ptr<const payment_terms> terms, std::string node_name,
                               std::chrono::milliseconds idle_after);

}  // namespace hearth::actors
