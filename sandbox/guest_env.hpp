// Couch guest environments on this host (the "local" backend). Each guest
// gets a long-lived sandbox: a zygote in its own user, pid, mount, ipc, uts
// (and, without network, net) namespaces with the system directories
// read-only (the host's or a golden rootfs's), a persistent home (BASE/<id>/home at /home/guest; on its own
// ext4 image of maxDiskGB when the node may mount one, a hard quota) and a
// /tmp that lasts as long as the environment. Commands and terminals are
// processes in that tree, so what one starts may outlive it; one cgroup
// bounds them all (memory, CPU cores, processes) and is where usage is read.
// With network, the environment still has its own network namespace, joined
// to the internet by sandbox/user_network, whose counters are its egress.
// An environment that is not running (after a node restart) is started
// again on first use, with the home it had. A plain library: the guest
// actor owns when and for whom it is used.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/quota_images.hpp"
#include "sandbox/limits.hpp"
#include "sandbox/terminal.hpp"

namespace hearth::sandbox {

struct environment_spec {
  std::uint64_t ram_mb = 512;
  double cpu_cores = 1;
  std::uint64_t max_processes = 256;
  std::uint64_t tmp_mb = 256;
  std::uint64_t disk_mb = 0;  // 0: no quota
  bool network = false;        // the internet, through the environment's own network namespace
  bool host_services = false;  // with network: the node host's loopback services (as 10.0.2.2)
  std::string system_root;     // an image's root filesystem; empty: the environments' default
  std::vector<writable_dir> binds;  // more host files or directories inside (a job's sshd set-up)
  bool devpts = false;              // programs inside make their own ptys (sshd's sessions)
};

struct guest_exec {
  std::vector<std::string> argv;  // argv[0] is a path inside (e.g. /bin/sh)
  std::string stdin_data;
  std::uint64_t timeout_secs = 60;
  std::uint64_t max_output_bytes = 4u << 20;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(std::string_view)> on_stdout, on_stderr;
};

// Usage read from the environment since the previous sample (CPU) or now.
struct environment_sample {
  double cpu_secs = 0;  // used since the previous sample
  std::uint64_t peak_memory_bytes = 0;
  std::uint64_t disk_bytes = 0;
  std::uint64_t egress_mb = 0;  // whole megabytes sent since the previous sample
};

class local_environments {
 public:
  // rootfs: a golden root filesystem whose system directories and /etc the
  // environments see (read-only); empty: the host's.
  explicit local_environments(std::string base_dir, std::string rootfs = "");
  ~local_environments();  // stops every environment and unmounts the homes (which stay)

  // Creates the home (and its disk image) and starts the environment.
  result<void> create(const std::string& guest_id, const environment_spec& spec);
  result<run_report> exec(const std::string& guest_id, const environment_spec& spec, guest_exec request);
  // A login shell on a new pty in the environment.
  result<std::unique_ptr<terminal>> open_terminal(const std::string& guest_id, const environment_spec& spec,
                                                  std::uint16_t cols, std::uint16_t rows);
  // argv with fd (a connected socket, not owned) as its stdin and stdout, in
  // the environment, for as long as the environment lives (an inetd-style
  // server: sshd -i). Its stderr is the process's stderr_fd.
  result<std::unique_ptr<sandboxed_process>> serve_socket(const std::string& guest_id, const environment_spec& spec,
                                                          std::vector<std::string> argv, int fd);
  // Stops every process of the environment, then removes everything it wrote.
  result<void> destroy(const std::string& guest_id);
  environment_sample sample(const std::string& guest_id);
  std::vector<std::string> running() const;
  bool exists(const std::string& guest_id) const;
  std::string home(const std::string& guest_id) const;
  // base_dir/<id>: what destroy removes (a caller may keep per-environment files there).
  std::string directory(const std::string& guest_id) const { return base_ + "/" + guest_id; }

 private:
  struct live_env;
  result<std::shared_ptr<live_env>> ensure(const std::string& guest_id, const environment_spec& spec);
  std::string base_, rootfs_;
  std::unique_ptr<quota_image_pool> images_;  // from the first quota mounted (root only)
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<live_env>> live_;
};

}  // namespace hearth::sandbox
