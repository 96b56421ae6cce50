// Test support: a real child process with its stderr captured, waited on
// through a pidfd so tests block on events, never on sleeps.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hearth::test {

class child_process {
 public:
  // Starts argv[0] with argv; extra_env entries are "NAME=value" added to ours.
  explicit child_process(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~child_process();  // kills (SIGKILL) and reaps a child still running

  // Reads stderr until a line contains needle; returns that line, or nullopt
  // at the deadline or when the child closes stderr.
  std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds deadline);
  void signal(int sig);
  // Exit status (code, or 128 + signal) or nullopt when still running at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline);
  const std::string& output() const { return output_; }  // stderr so far
  int pid() const { return pid_; }

 private:
  void read_available(std::chrono::milliseconds wait);
  int pid_ = -1;
  int pidfd_ = -1;
  int err_fd_ = -1;
  std::string output_;
  std::size_t scanned_ = 0;
  std::optional<int> status_;
};

struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion with stdin from input (empty: /dev/null).
run_result run(std::vector<std::string> argv, std::vector<std::string> extra_env = {}, const std::string& input = "");

// A whole file's text ("" when it cannot be read).
std::string read_text(const std::string& path);

// A fresh empty directory under /tmp, removed on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace hearth::test
