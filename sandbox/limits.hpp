// What a sandboxed run may use, and how it ended: the vocabulary shared by
// the launcher, the runner, offers and tasks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::sandbox {

struct limits {
  std::uint64_t ram_mb = 64;
  std::uint64_t cpu_secs = 10;
  std::uint64_t wall_secs = 30;
  bool network = false;
  std::uint64_t max_output_bytes = 16ull << 20;  // stdout; stderr is capped at the same
  std::uint64_t max_processes = 32;
  std::uint64_t max_open_files = 256;
  std::uint64_t tmp_mb = 64;                     // size of the private writable /tmp
  double cpu_cores = 1;                          // CPU bandwidth in the cgroup (cores' worth)
  // With network: either list non-empty restricts TCP bind(2) and connect(2)
  // to the ports listed (Landlock ABI 4); both empty: no port rule.
  std::vector<std::uint16_t> tcp_bind, tcp_connect;
};

inline bool restricts_tcp(const limits& l) { return !l.tcp_bind.empty() || !l.tcp_connect.empty(); }

// Why a run ended. Numbers are stored with tasks: never reuse one.
enum class ending : std::uint8_t {
  exited = 0,         // the program exited by itself (see exit_code)
  signaled = 1,       // killed by a signal not caused by a limit
  memory_limit = 2,   // the memory cgroup killed it (OOM)
  cpu_limit = 3,      // CPU seconds used up
  wall_limit = 4,     // wall-clock seconds used up
  output_limit = 5,   // wrote more than max_output_bytes
  setup_failed = 6,   // the sandbox could not be built; the program never ran
  cancelled = 7,      // the node stopped it (shutdown, kill switch)
};

std::string to_string(ending e);

struct usage {
  double cpu_secs = 0;  // user + system, the whole process tree
  double wall_secs = 0;
  std::uint64_t peak_memory_bytes = 0;
  std::uint64_t stdout_bytes = 0;
  std::uint64_t stderr_bytes = 0;
};

struct run_report {
  ending how = ending::exited;
  int exit_code = 0;  // when how == exited
  int signal = 0;     // when killed by a signal
  usage used;
  std::string enforcement;  // which mechanisms applied, e.g. "userns,pidns,...,cgroup-v1,landlock-v2,seccomp"
};

}  // namespace hearth::sandbox
