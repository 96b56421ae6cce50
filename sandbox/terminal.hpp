// A pty whose slave is the controlling terminal of a program in a sandbox
// (a couch guest's shell). Owns the master and the program's process; the
// caller drives it from one thread with pump() while other threads queue
// input, resize it or hang up. Dropping it hangs up (the program is killed).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "messages/result.hpp"
#include "sandbox/launcher.hpp"

namespace hearth::sandbox {

// A new pty: the master (kept) and its slave (handed to the program).
struct pty_pair {
  int master = -1, slave = -1;
};
result<pty_pair> open_pty(std::uint16_t cols, std::uint16_t rows);

struct terminal_exit {
  int exit_code = 0;
  int signal = 0;  // non-zero when the program was killed (hangup, kill switch)
};

class terminal {
 public:
  terminal(int master, std::unique_ptr<sandboxed_process> process);
  ~terminal();
  terminal(const terminal&) = delete;
  terminal& operator=(const terminal&) = delete;

  // Blocks until the program has ended and its output is drained, handing
  // output to on_output as it comes and writing queued input as the pty
  // takes it. Call from one thread.
  terminal_exit pump(const std::function<void(std::string_view)>& on_output);

  // From any thread. input is false when too much is queued (a stuck program).
  bool input(std::string_view data);
  void resize(std::uint16_t cols, std::uint16_t rows);
  void hangup();

 private:
  void wake();
  int master_;
  int wake_fd_;  // an eventfd: input queued or hangup asked
  std::unique_ptr<sandboxed_process> process_;
  std::mutex mu_;
  std::string pending_;
  bool hangup_ = false;
};

}  // namespace hearth::sandbox
