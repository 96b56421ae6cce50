#include "sandbox/guest_env.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "sandbox/cgroup.hpp"
#include "sandbox/disk_quota.hpp"
#include "sandbox/isolation.hpp"
#include "sandbox/runner.hpp"
#include "sandbox/user_network.hpp"
#include "sandbox/warm_sandbox.hpp"

namespace hearth::sandbox {

namespace fs = std::filesystem;

namespace {

constexpr const char* inside_home = "/home/guest";
// What every program of the environment starts with.
const std::vector<std::string> guest_environ = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/guest", "USER=guest",
                                                "LOGNAME=guest", "LANG=C.UTF-8", "SHELL=/bin/bash"};

bool valid_id(const std::string& id) { return !id.empty() && id.find('/') == std::string::npos && id[0] != '.'; }

// The sandbox's uid outside: nobody when the node runs as root, else the node's own.
uid_t outside_uid() { return ::geteuid() == 0 ? 65534 : ::geteuid(); }

}  // namespace

struct local_environments::live_env {
  std::shared_ptr<warm_sandbox> zygote;
  std::shared_ptr<cgroup> group;  // null where the host gives none
  double cpu_reported = 0;        // the group's CPU seconds already sampled
  double cpu_unsampled = 0;       // without a group: commands' CPU not yet sampled
  std::uint64_t egress_reported = 0;  // bytes sent, in whole megabytes already sampled
  std::mutex mu;                  // the counters
  std::unique_ptr<user_network> net;  // null: no network (loopback only)
};

local_environments::local_environments(std::string base_dir, std::string rootfs)
    : base_(std::move(base_dir)), rootfs_(std::move(rootfs)) {}

local_environments::~local_environments() {
  std::lock_guard lock(mu_);
  for (auto& [id, env] : live_) {
    if (env->group) env->group->kill_all();
    env->zygote->kill();
  }
  live_.clear();
  // Homes stay on disk; their quota images are mounted again on first use.
  std::error_code ec;
  for (fs::directory_iterator it(base_, ec), end; !ec && it != end; it.increment(ec))
    (void)unmount(home(it->path().filename().string()));  // nothing to do where nothing is mounted
}

std::string local_environments::home(const std::string& id) const { return base_ + "/" + id + "/home"; }

bool local_environments::exists(const std::string& id) const {
  std::error_code ec;
  return valid_id(id) && fs::is_directory(home(id), ec);
}

result<void> local_environments::create(const std::string& id, const environment_spec& spec) {
  if (!valid_id(id)) return fail(couch_errc::bad_guest_id, "invalid guest id");
  std::error_code ec;
  fs::create_directories(home(id), ec);
  if (ec) return fail(couch_errc::environment_failed, "cannot create " + home(id) + ": " + ec.message());
  if (::geteuid() == 0 && ::chown(home(id).c_str(), outside_uid(), outside_uid()) != 0)
    return fail(couch_errc::environment_failed, "cannot hand " + home(id) + " to the sandbox uid");
  ::chmod(home(id).c_str(), 0700);
  auto env = ensure(id, spec);
  if (!env) return env.error();
  return {};
}

result<std::shared_ptr<local_environments::live_env>> local_environments::ensure(const std::string& id,
                                                                                 const environment_spec& spec) {
  if (!exists(id)) return fail(couch_errc::environment_missing, "the guest's environment does not exist");
  std::lock_guard lock(mu_);
  auto it = live_.find(id);
  if (it != live_.end() && it->second->zygote->alive()) return it->second;
  if (it != live_.end()) {
    spdlog::warn("guest {}: environment ended by itself; starting it again", id);
    live_.erase(it);
  }
  auto env = std::make_shared<live_env>();
  // Internet only through a network namespace of the environment's own: never the host's.
  if (spec.network && !user_network::available())
    return fail(sandbox_errc::isolation_unavailable, "user-network: slirp4netns is not installed, and a guest with internet "
                                         "never shares the host's network namespace");
  if (spec.disk_mb > 0) {
    if (!images_ && ::geteuid() == 0)  // on the first quota: a node that mounts none starts no filler
      images_ = std::make_unique<quota_image_pool>(base_ + "/.quota-images");
    auto quota = mount_quota(base_ + "/" + id + "/disk.img", home(id), spec.disk_mb, outside_uid(), images_.get());
    if (quota) ::rmdir((home(id) + "/lost+found").c_str());
    else if (auto waived = step_missing(isolation_step::disk_quota, quota.error().message); !waived)
      return waived.error();
    else spdlog::info("guest {}: no disk quota ({}); disk use is measured instead", id, quota.error().message);
  }
  limits lim;
  lim.ram_mb = spec.ram_mb;
  lim.cpu_cores = spec.cpu_cores;
  lim.max_processes = spec.max_processes;
  if (auto group = cgroup::create("guest-" + id, lim)) env->group = std::move(*group);
  else if (auto waived = step_missing(isolation_step::cgroup, group.error().message); !waived) return waived.error();
  zygote_options o;
  o.network = spec.network;
  o.private_network = spec.network;
  o.writable = {{home(id), inside_home}};
  o.writable.insert(o.writable.end(), spec.binds.begin(), spec.binds.end());
  o.workdir = inside_home;
  o.tmp_mb = spec.tmp_mb;
  o.shared_tree = true;
  o.system_root = spec.system_root.empty() ? rootfs_ : spec.system_root;
  o.devpts = spec.devpts;
  o.group = env->group;
  // The zygote is bound at /sandbox/exe like any sandbox's program; commands name their own.
  auto zygote = warm_sandbox::start("/bin/sh", o);
  if (!zygote) return zygote.error();
  env->zygote = std::move(*zygote);
  if (o.private_network) {
    auto net = user_network::attach(env->zygote->pid(), spec.host_services);
    if (!net) return net.error();  // the zygote ends with env
    env->net = std::move(*net);
  }
  live_[id] = env;
  spdlog::debug("guest {}: environment {} started", id, env->zygote->pid());
  return env;
}

namespace {

launch_spec command_spec(const environment_spec& env, std::vector<std::string> argv, std::uint64_t timeout_secs) {
  launch_spec spec;
  spec.executable = argv[0];
  spec.argv0 = argv[0];
  spec.args.assign(argv.begin() + 1, argv.end());
  spec.env = guest_environ;
  spec.lim.ram_mb = env.ram_mb;
  spec.lim.cpu_secs = timeout_secs;
  spec.lim.wall_secs = timeout_secs;
  spec.lim.network = env.network;
  spec.lim.max_processes = env.max_processes;
  spec.lim.max_open_files = 1024;
  // Only the file size rlimit reads tmp_mb here (the environment's /tmp is
  // mounted once): a file may fill the home's quota.
  spec.lim.tmp_mb = std::max(env.tmp_mb, env.disk_mb > 0 ? env.disk_mb : std::uint64_t{1} << 20);
  spec.lim.cpu_cores = env.cpu_cores;
  spec.writable = {};
  spec.workdir = inside_home;
  return spec;
}

}  // namespace

result<run_report> local_environments::exec(const std::string& id, const environment_spec& spec, guest_exec request) {
  if (request.argv.empty()) return fail(couch_errc::bad_command, "nothing to run");
  auto env = ensure(id, spec);
  if (!env) return env.error();
  launch_spec command = command_spec(spec, std::move(request.argv), std::max<std::uint64_t>(1, request.timeout_secs));
  command.env.push_back("TERM=dumb");
  command.lim.max_output_bytes = request.max_output_bytes;
  run_io io;
  io.stdin_data = std::move(request.stdin_data);
  io.on_stdout = std::move(request.on_stdout);
  io.on_stderr = std::move(request.on_stderr);
  io.cancel = request.cancel;
  auto zygote = (*env)->zygote;
  io.sandbox = zygote.get();
  auto report = run(command, std::move(io));
  if (report && !(*env)->group) {
    std::lock_guard lock((*env)->mu);
    (*env)->cpu_unsampled += report->used.cpu_secs;
  }
  return report;
}

result<std::unique_ptr<terminal>> local_environments::open_terminal(const std::string& id, const environment_spec& spec,
                                                                    std::uint16_t cols, std::uint16_t rows) {
  auto env = ensure(id, spec);
  if (!env) return env.error();
  auto pty = open_pty(cols, rows);
  if (!pty) return pty.error();
  // A terminal lasts as long as the guest keeps it: no CPU or wall limit of its own.
  launch_spec shell = command_spec(spec, {"/bin/bash", "-l"}, 365ull * 24 * 3600);
  // bash where the environment's system has it (the host's or the golden rootfs's).
  if (::access((rootfs_ + "/bin/bash").c_str(), X_OK) != 0)
    shell = command_spec(spec, {"/bin/sh", "-l"}, 365ull * 24 * 3600);
  shell.env.push_back("TERM=xterm-256color");
  shell.terminal_fd = pty->slave;
  auto process = (*env)->zygote->launch(shell);
  ::close(pty->slave);
  if (!process) {
    ::close(pty->master);
    return process.error();
  }
  return std::make_unique<terminal>(pty->master, std::move(*process));
}

result<std::unique_ptr<sandboxed_process>> local_environments::serve_socket(const std::string& id,
                                                                          const environment_spec& spec,
                                                                          std::vector<std::string> argv, int fd) {
  if (argv.empty()) return fail(couch_errc::bad_command, "nothing to run");
  auto env = ensure(id, spec);
  if (!env) return env.error();
  // A server lasts as long as its environment: no CPU or wall limit of its own.
  launch_spec server = command_spec(spec, std::move(argv), 365ull * 24 * 3600);
  server.stdio_fd = fd;
  return (*env)->zygote->launch(server);
}

result<void> local_environments::destroy(const std::string& id) {
  if (!valid_id(id)) return fail(couch_errc::bad_guest_id, "invalid guest id");
  std::shared_ptr<live_env> env;
  {
    std::lock_guard lock(mu_);
    if (auto it = live_.find(id); it != live_.end()) {
      env = std::move(it->second);
      live_.erase(it);
    }
  }
  if (env) {
    if (env->group) env->group->kill_all();
    env->zygote->kill();  // pid 1 of the environment: every process left goes with it
    if (!env->zygote->await_exit(std::chrono::seconds(2)))
      spdlog::warn("guest {}: environment still ending after 2 s", id);
    // The kill switch answers once every process of the environment is
    // gone, not merely signalled (bounded: 2 s, as above).
    for (int i = 0; env->group && env->group->populated() && i < 400; ++i) {
      env->group->kill_all();
      ::usleep(5000);
    }
    if (env->group && env->group->populated()) spdlog::warn("guest {}: processes left after the kill", id);
  } else {
    spdlog::warn("guest {}: no live environment to stop (its processes, if any, are not this node's)", id);
  }
  env.reset();
  if (auto gone = unmount(home(id)); !gone) return gone;
  std::error_code ec;
  fs::remove_all(base_ + "/" + id, ec);
  if (ec) return fail(couch_errc::environment_failed, "cannot remove " + base_ + "/" + id + ": " + ec.message());
  return {};
}

environment_sample local_environments::sample(const std::string& id) {
  environment_sample s;
  std::shared_ptr<live_env> env;
  {
    std::lock_guard lock(mu_);
    if (auto it = live_.find(id); it != live_.end()) env = it->second;
  }
  if (env) {
    std::lock_guard lock(env->mu);
    if (env->group) {
      double total = env->group->cpu_secs();
      s.cpu_secs = std::max(0.0, total - env->cpu_reported);
      env->cpu_reported = std::max(total, env->cpu_reported);
      s.peak_memory_bytes = env->group->peak_memory_bytes();
    } else {
      s.cpu_secs = std::exchange(env->cpu_unsampled, 0.0);
    }
    if (env->net) {
      std::uint64_t sent = user_network::egress_bytes(env->zygote->pid());
      if (sent >= env->egress_reported + (1u << 20)) {
        s.egress_mb = (sent - env->egress_reported) >> 20;
        env->egress_reported += s.egress_mb << 20;
      }
    }
  }
  if (is_mount_point(home(id))) {
    s.disk_bytes = filesystem_used_bytes(home(id));
  } else {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(home(id), fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) == 0) s.disk_bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
  }
  return s;
}

std::vector<std::string> local_environments::running() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, env] : live_) out.push_back(id);
  return out;
}

}  // namespace hearth::sandbox
