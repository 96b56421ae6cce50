// Runs one sandboxed process to its end: feeds stdin, streams stdout and
// stderr to callbacks, enforces the wall-clock, CPU and output limits, and
// reports how the run ended with its usage. Blocking: callers run it on a
// thread of their own (the task actor's worker), never on an actor thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "messages/metrics.hpp"
#include "messages/result.hpp"
#include "sandbox/launcher.hpp"
#include "sandbox/warm_pool.hpp"

namespace hearth::sandbox {

struct run_io {
  std::string stdin_data;
  std::string stdin_file;  // when set, stdin streams from this file after stdin_data
  int stdin_source = -1;   // when set, stdin is what this descriptor gives, as it comes (a pipe, a terminal); not closed
  std::function<void(std::string_view)> on_stdout;  // null: discard
  std::function<void(std::string_view)> on_stderr;  // null: discard
  const std::atomic<bool>* cancel = nullptr;         // set from another thread: kill, ending cancelled
  warm_sandbox* sandbox = nullptr;                   // run in this one (a guest's environment)
};

// A failure is returned only when the sandbox could not be built; anything
// the program does, including being killed, is a report. With a pool, the
// run starts in the executable's warm sandbox.
result<run_report> run(const launch_spec& spec, run_io io, warm_pool* pool = nullptr);

// How long run() took to launch its sandboxes since the process started, for
// /metrics: cold (built per run), warm (from an offer's zygote), environment
// (a command in a guest's environment).
enum class launch_mode { cold = 0, warm = 1, environment = 2 };
const latency_histogram& launch_latency(launch_mode mode);

}  // namespace hearth::sandbox
