// Owns task execution. For each run request it derives the task id
// (actors/task_identity), answers a deterministic offer's repeated request
// from the stored record (a cache hit, nothing runs), joins a request to an
// identical task already running, or starts a task actor (actors/task_actor)
// and answers every waiting request when it reports. At most max_running tasks run at once, and only while
// the CPU units they reserve fit the node's (a run that does not fit waits its turn); up to max_queued wait;
// more are refused (node_busy). The variant of the offer's executable for this node's architecture runs; an
// offer's private env and stdin are opened from their sealed records (actors/private_inputs) per run. When the registry stops, running tasks are cancelled;
// tasks a crashed node left running are marked failed when it starts again.
// Retention: every few seconds the registry sweeps one page of task records
// and deletes finished ones older than config.retention.
//
// Interface: task_registry_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>

#include "crypto/secp256k1_key.hpp"
#include "actors/task_identity.hpp"
#include "actors/task_output.hpp"
#include "messages/interfaces.hpp"
#include "messages/result.hpp"
#include "messages/task.hpp"

namespace hearth::storage {
class store;
class blob_store;
}  // namespace hearth::storage

namespace hearth::actors {

inline const caf::atom_value task_registry_key = caf::atom("tasks");

struct task_registry_config {
  crypto::private_key node_key;
  crypto::address owner;
  unsigned max_running = 4;
  unsigned max_queued = 256;
  std::chrono::hours retention{24 * 30};  // finished tasks older than this are deleted
  bool warm_sandboxes = true;             // runs cloned from a warm sandbox per executable
  std::string output_dir;                 // where stdout beyond inline_output_bytes goes (one file per task)
  std::uint32_t cpu_units = 0;            // CPU the runs may hold at once (thousandths of a core); 0: every core's
};

result<task_registry_type> spawn_task_registry(caf::actor_system& sys, storage::store& db, storage::blob_store& blobs,
                                       task_registry_config config);

}  // namespace hearth::actors
