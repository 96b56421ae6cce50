// A seller's jobs' environments (the seller agent's blocking half): for
// each job, a couch-style environment from the job's image (a golden rootfs,
// or the host's system directories), with its limits, a private devpts and
// the job's sshd set-up bound in (sandbox/job_sshd); a TCP door whose every
// connection becomes one `sshd -i` inside the environment; and the end of
// it all (every session, process, mount and cgroup) at destroy. Calls
// block: the agent makes them from detached helpers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "messages/market.hpp"
#include "messages/result.hpp"

namespace hearth::sandbox {
class local_environments;
}

namespace hearth::actors {

struct job_host_config {
  std::string base_dir;                       // the environments' homes (removed with each job)
  std::map<std::string, std::string> images;  // name -> root filesystem ("" for "host")
  std::string listen_address = "127.0.0.1";   // where the doors listen
  std::uint16_t first_port = 0;               // 0: any free port per job; else ports from here
  std::string public_host;                    // what buyers connect to (default: listen_address)
};

class job_host {
 public:
  explicit job_host(job_host_config config);
  ~job_host();  // every job's environment ends with the seller

  result<job_access> provision(const job_assignment& job);
  void destroy(const std::string& job_id);
  // The port of a running job's door (0: no such job): the relay connects there.
  std::uint16_t door_port(const std::string& job_id);
  // The buyer's key now expires at until (sshd checks it at each login).
  result<void> extend(const job_assignment& job, std::int64_t until_ms);

 private:
  struct live_job;
  job_host_config config_;
  std::unique_ptr<sandbox::local_environments> envs_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<live_job>> jobs_;
};

}  // namespace hearth::actors
