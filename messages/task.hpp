// Tasks as plain values (mirrors records.capnp StoredTask) and the messages
// of the task registry.
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/offer.hpp"

namespace hearth {

enum class task_state : std::uint8_t { pending = 0, running = 1, completed = 2, failed = 3 };

struct task_record {
  std::string id;
  std::string offer_hash;
  std::string input_hash;
  task_state state = task_state::pending;
  std::uint8_t ending = 0;  // sandbox::ending
  std::int32_t exit_code = 0;
  std::int32_t signal = 0;
  double cpu_secs = 0;
  double wall_secs = 0;
  std::uint64_t peak_memory_bytes = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::string stdout_data;     // empty when spilled
  std::uint64_t stdout_size = 0;
  bool stdout_spilled = false;  // too large to keep in the record: in the task's output file
  std::string stderr_data;
  std::string output_signature;  // 65 raw bytes
  std::string error;
  std::string error_code;       // the sandbox's failure code when it could not start the run
  std::string read_token_hash;  // hex sha256 of the read capability of whoever started it (task_input's)
  bool cache_hit = false;  // set on replies answered from storage; not stored
  std::int64_t retain_until_ms = 0;  // the offer's retention: gone after this; 0: the node's
};

// Whoever streams a task's stdout on to its caller (the CGI edge, for a
// free call's large response). The task sends nothing until its stdout
// passes stream_threshold_bytes; from then on each chunk as it comes, one at
// a time: the answer (true: go on, false: the caller is gone) is the
// backpressure, so the program waits for a slow client. The stream sends
// itself room_atom when its client has read what it held.
using stdout_stream_type =
    caf::typed_actor<caf::replies_to<output_atom, std::string /*task id*/, std::string /*chunk*/>::with<bool>,
                     caf::reacts_to<room_atom>>;
inline constexpr std::size_t stream_threshold_bytes = 64 * 1024;

// What a task runs: the offer's executable with these arguments,
// environment (sorted NAME=value) and stdin.
struct task_input {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string stdin_data;
  std::vector<std::string> private_env;  // passed to the program, left out of the task id (REMOTE_ADDR, ...)
  std::vector<std::string> caller_env;   // KEY=VALUE the caller asks for (an env-extendable offer only)
  std::uint64_t duration_secs = 0;       // a per-second offer's run the buyer paid for: its wall limit; 0: the offer's
  std::string stdin_file;    // when set, stdin streams from this file (a spooled request body), not stdin_data
  std::string stdin_sha256;  // hex sha256 of stdin_file's content, for the task id
  // hex sha256 of the caller's read capability: kept in the record when this
  // request starts the task (not when it joins one or hits the cache); not
  // part of the task's id.
  std::string read_token_hash;
  // Gets stdout as the program writes it, past stream_threshold_bytes
  // (not part of the task's id); none: the output is only kept.
  stdout_stream_type output;
};


template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_record& x) {
  return f(caf::meta::type_name("task_record"), x.id, x.offer_hash, x.input_hash, x.state, x.ending, x.exit_code,
           x.signal, x.cpu_secs, x.wall_secs, x.peak_memory_bytes, x.created_at_ms, x.finished_at_ms, x.stdout_data,
           x.stdout_size, x.stdout_spilled, x.stderr_data, x.output_signature, x.error, x.error_code, x.read_token_hash,
           x.cache_hit, x.retain_until_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_input& x) {
  return f(caf::meta::type_name("task_input"), x.args, x.env, x.stdin_data, x.private_env, x.caller_env, x.duration_secs, x.stdin_file,
           x.stdin_sha256, x.read_token_hash, x.output);
}

}  // namespace hearth
