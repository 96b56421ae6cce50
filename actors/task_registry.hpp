// Owns task execution. For each run request it derives the task id, answers
// a deterministic offer's repeated request from the stored record (a cache
// hit, nothing runs), joins a request to an identical task already running,
// or starts a task actor. A task actor is detached (the sandboxed run blocks
// its own thread): it writes its record as running, runs the executable in
// the sandbox (stdout on to the request's stream past its threshold, and
// kept: in the record, or past inline_output_bytes in the task's output file), signs the
// output with the node key, writes the final record,
// then reports to the registry, which answers every waiting request.
// At most max_running tasks run at once; up to max_queued wait; more are
// refused (node_busy). When the registry stops, running tasks are cancelled;
// tasks a crashed node left running are marked failed when it starts again.
// Retention: every few seconds the registry sweeps one page of task records
// and deletes finished ones older than config.retention.
// Interface: task_registry_type (messages/interfaces.hpp).
//
// Task id = sha256(offer hash || input hash [|| 16 random bytes unless the
// offer is deterministic]); input hash = sha256 over the length-prefixed
// arguments, the sorted environment and stdin (private_env excluded).
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>

#include "crypto/secp256k1_key.hpp"
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
};

// A task's stdout up to this size stays in its record; beyond, the whole of
// it is in its output file (see storage::task_output_file).
inline constexpr std::size_t inline_output_bytes = 1u << 20;

result<task_registry_type> spawn_task_registry(caf::actor_system& sys, storage::store& db, storage::blob_store& blobs,
                                       task_registry_config config);

std::string task_input_hash(const task_input& in);
// The digest the node signs for a task's output: keccak256 of
// "\x19hearth task output v1\n" || owner (20) || task id (32) || sha256(stdout).
crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const std::string& stdout_data);
crypto::hash256 task_output_digest(const crypto::address& owner, const std::string& task_id_hex,
                                   const crypto::hash256& stdout_sha256);

}  // namespace hearth::actors
