// What becomes of a task's stdout while it runs: forwarded to the caller's
// stream past stream_threshold_bytes, hashed, and kept (in the record up to
// inline_output_bytes, past that all of it in the task's output file), so a
// large output is never held whole. Used from the task actor's thread.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "actors/blocking_stream.hpp"
#include "crypto/sha256.hpp"
#include "messages/task.hpp"

namespace hearth::actors {

// A task's stdout up to this size stays in its record; beyond, the whole of
// it is in its output file (see storage::task_output_file).
inline constexpr std::size_t inline_output_bytes = 1u << 20;

// Sends the stdout on to the caller's stream once it passes
// stream_threshold_bytes (a smaller output is answered whole from the
// record), a chunk at a time (see blocking_stream).
class stdout_forwarder {
 public:
  stdout_forwarder(caf::actor_system& sys, stdout_stream_type stream, std::chrono::seconds patience);
  void add(const std::string& task_id, std::string_view s);

 private:
  blocking_stream<stdout_stream_type> stream_;
  bool streaming_ = false;
  std::string held_;
};

class output_keeper {
 public:
  output_keeper(task_record& t, std::string path, stdout_forwarder& forward);
  ~output_keeper();
  output_keeper(const output_keeper&) = delete;
  output_keeper& operator=(const output_keeper&) = delete;
  void add(std::string_view s);
  // The content hash; false when the output could not be kept whole.
  bool finish(crypto::hash256& content);

 private:
  void spill();
  void fail();
  task_record& t_;
  std::string path_;
  stdout_forwarder& forward_;
  crypto::sha256_hasher hash_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

}  // namespace hearth::actors
