// One task's run: a detached actor that blocks on its sandboxed run (so the
// scheduler never waits for a program), writes the record as running, keeps
// the output (task_output), signs it with the node key, writes the final
// record, then reports (task_done) to the registry, which answers everyone
// waiting. A set cancel flag ends the run (the registry stopping).
#pragma once

#include <caf/fwd.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "crypto/secp256k1_key.hpp"
#include "messages/interfaces.hpp"
#include "sandbox/runner.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

// Everything a task actor needs; copied into it.
struct task_job {
  task_record record;
  std::string executable;
  sandbox::launch_spec spec;
  std::string stdin_data;
  std::string stdin_file;
  std::shared_ptr<std::atomic<bool>> cancel;
  std::shared_ptr<const crypto::private_key> key;
  crypto::address owner;
  storage::store* db;
  std::shared_ptr<sandbox::warm_pool> pool;  // null: every run builds its sandbox cold
  std::string output_path = {};
  stdout_stream_type stream = {};
  std::uint64_t retain_secs = 0;  // the offer's retention; 0: the node's
  std::uint32_t cpu_units = 1000;  // the node's CPU (thousandths of a core) the run holds while it runs
  // A priced offer's: its final record is synced before the reply. A free
  // call's is written before the reply (it survives the node's crash) and
  // synced right after it, off the reply path.
  bool paid = true;
};

// The sandbox run of an offer with an input: the offer's executable (at
// executable_path), its fixed arguments then the caller's, the caller's
// environment (private_env included), the owner's secret env over all of
// it, and the offer's limits.
sandbox::launch_spec launch_spec_for(const stored_offer& offer, const task_input& in, const std::string& executable_path,
                                     const std::vector<std::string>& secret_env = {});

caf::actor spawn_task_actor(caf::local_actor* registry_self, task_registry_type registry, std::shared_ptr<task_job> job);

}  // namespace hearth::actors
