#include "actors/job_host.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "sandbox/ssh_door.hpp"
#include "protocols/ssh_key.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/guest_env.hpp"
#include "sandbox/job_sshd.hpp"

namespace hearth::actors {

namespace fs = std::filesystem;

struct job_host::live_job {
  sandbox::environment_spec spec;
  std::unique_ptr<sandbox::ssh_door> door;
  std::mutex mu;
  std::vector<std::unique_ptr<sandbox::sandboxed_process>> sessions;
  std::vector<std::thread> logs;  // each sshd's stderr (-e) to the seller's log, until it exits
  ~live_job() {
    door.reset();  // no new connections
    for (auto& t : logs) t.join();
  }
};

job_host::job_host(job_host_config config) : config_(std::move(config)) {
  std::error_code ec;
  // Environments a killed seller left behind have no job any more.
  fs::remove_all(config_.base_dir, ec);
  sandbox::cgroup::remove_stale();
  fs::create_directories(config_.base_dir, ec);
  envs_ = std::make_unique<sandbox::local_environments>(config_.base_dir);
}

job_host::~job_host() {
  std::map<std::string, std::shared_ptr<live_job>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& [id, job] : jobs) (void)envs_->destroy(id);
}

result<job_access> job_host::provision(const job_assignment& a) {
  auto image = config_.images.find(a.spec.image);
  if (image == config_.images.end()) return fail(market_errc::unknown_image, "this seller has no image " + a.spec.image);
  auto key = protocols::normalize_ssh_pubkey(a.spec.ssh_pubkey);
  if (!key) return key.error();
  unsigned owner = ::geteuid() == 0 ? 65534 : ::geteuid();
  auto files = sandbox::prepare_job_sshd(envs_->directory(a.job_id), a.job_id, *key, a.expires_at_ms, owner, image->second);
  if (!files) return files.error();
  auto job = std::make_shared<live_job>();
  job->spec.ram_mb = a.spec.mem_mb;
  job->spec.cpu_cores = a.spec.cpus;
  job->spec.system_root = image->second;
  job->spec.binds = files->binds;
  job->spec.devpts = true;
  if (auto made = envs_->create(a.job_id, job->spec); !made) {
    (void)envs_->destroy(a.job_id);
    return made.error();
  }
  std::uint16_t port = 0;
  if (config_.first_port) {
    std::lock_guard lock(mu_);
    port = static_cast<std::uint16_t>(config_.first_port + jobs_.size());  // the door fails over to the next below
  }
  auto* envs = envs_.get();
  std::string id = a.job_id;
  std::weak_ptr<live_job> weak = job;
  auto on_connection = [envs, id, weak](int fd) {
    auto j = weak.lock();
    if (!j) return (void)::close(fd);
    auto p = envs->serve_socket(id, j->spec, sandbox::job_sshd_argv(), fd);
    ::close(fd);
    if (!p) return spdlog::warn("job {}: no sshd for a connection: {}", id, p.error().message);
    std::lock_guard lock(j->mu);
    j->logs.emplace_back([id, err = (*p)->stderr_fd] {
      char buf[2048];
      std::string line;
      for (ssize_t n; (n = ::read(err, buf, sizeof buf)) > 0;) {
        line.append(buf, static_cast<std::size_t>(n));
        for (auto nl = line.find('\n'); nl != std::string::npos; nl = line.find('\n')) {
          spdlog::debug("job {} sshd: {}", id, line.substr(0, nl));
          line.erase(0, nl + 1);
        }
      }
    });
    j->sessions.push_back(std::move(*p));
  };
  result<std::unique_ptr<sandbox::ssh_door>> door = fail(market_errc::provision_failed, "no port");
  for (int attempt = 0; attempt < (config_.first_port ? 64 : 1); ++attempt) {
    door = sandbox::ssh_door::open(config_.listen_address, port ? static_cast<std::uint16_t>(port + attempt) : 0, on_connection);
    if (door) break;
  }
  if (!door) {
    (void)envs_->destroy(a.job_id);
    return door.error();
  }
  job->door = std::move(*door);
  job_access access{config_.public_host.empty() ? config_.listen_address : config_.public_host, job->door->port(),
                    sandbox::job_ssh_user, files->host_public_key};
  std::lock_guard lock(mu_);
  jobs_[a.job_id] = std::move(job);
  return access;
}

std::uint16_t job_host::door_port(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  return it != jobs_.end() && it->second->door ? it->second->door->port() : 0;
}

result<void> job_host::extend(const job_assignment& a, std::int64_t until_ms) {
  auto key = protocols::normalize_ssh_pubkey(a.spec.ssh_pubkey);
  if (!key) return key.error();
  return sandbox::write_authorized_key(envs_->directory(a.job_id), *key, until_ms, ::geteuid() == 0 ? 65534 : ::geteuid());
}

void job_host::destroy(const std::string& id) {
  std::shared_ptr<live_job> job;
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) {
      job = std::move(it->second);
      jobs_.erase(it);
    }
  }
  if (job) job->door.reset();
  if (auto gone = envs_->destroy(id); !gone) spdlog::warn("job {}: environment not removed: {}", id, gone.error().message);
  job.reset();  // its sshd logs end with the environment's processes
}

}  // namespace hearth::actors
