#include "sandbox/cgroup.hpp"

#include <algorithm>
#include <atomic>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hearth::sandbox {
namespace {

result<void> write_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(sandbox_errc::cgroup_unavailable, "open " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  int err = errno;
  ::close(fd);
  if (!ok) return fail(sandbox_errc::cgroup_unavailable, "write " + path + ": " + std::strerror(err));
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The whole of a small cgroup file read through a descriptor kept open
// (pread at 0 makes the kernel generate it afresh).
std::string pread_all(int fd) {
  if (fd < 0) return {};
  char buf[1024];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// "key value" lines, as in memory.events or cpu.stat.
std::uint64_t keyed_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  std::uint64_t v;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

std::uint64_t number_of(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stoull(text);
  } catch (...) {
    return 0;
  }
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

int open_file(const std::string& path, int flags) { return ::open(path.c_str(), flags | O_CLOEXEC); }

result<void> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return fail(sandbox_errc::cgroup_unavailable, "mkdir " + path + ": " + std::strerror(errno));
  return {};
}

struct mounts {
  std::string v2;
  std::string memory, pids, cpu, cpuacct;
};

// Reads /proc/self/mountinfo for the cgroup2 mount and the v1 controllers.
mounts find_mounts() {
  mounts m;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, devno, root, mount_point, fstype, source, options;
    pre >> id >> parent >> devno >> root >> mount_point;
    post >> fstype >> source >> options;
    if (fstype == "cgroup2" && m.v2.empty()) m.v2 = mount_point;
    if (fstype != "cgroup") continue;
    std::istringstream opts(options);
    for (std::string opt; std::getline(opts, opt, ',');) {
      if (opt == "memory") m.memory = mount_point;
      if (opt == "pids") m.pids = mount_point;
      if (opt == "cpu") m.cpu = mount_point;
      if (opt == "cpuacct") m.cpuacct = mount_point;
    }
  }
  return m;
}

bool has_controllers(const std::string& file) {
  std::string c = read_file(file);
  return c.find("memory") != std::string::npos && c.find("pids") != std::string::npos;
}

// CPU bandwidth per 100 ms period: the limit's cores (at least 1 ms).
std::string cpu_quota(const limits& lim) {
  return std::to_string(std::max<long long>(1000, static_cast<long long>(lim.cpu_cores * 100000)));
}

}  // namespace

std::string run_group_name() {
  static std::atomic<unsigned> made{0};
  return "run-" + std::to_string(::getpid()) + "-" + std::to_string(++made);
}

std::string cgroup_settings(const limits& lim) {
  return std::to_string(lim.ram_mb) + "M " + std::to_string(lim.max_processes) + "p " + cpu_quota(lim) + "q";
}

result<std::unique_ptr<cgroup>> cgroup::create(const std::string& name, const limits& lim) {
  static const mounts m = find_mounts();  // cgroup hierarchies do not move while the node runs
  std::unique_ptr<cgroup> cg(new cgroup());
  cg->settings_ = cgroup_settings(lim);
  std::string bytes = std::to_string(lim.ram_mb << 20);
  std::string pids = std::to_string(lim.max_processes);
  std::string quota = cpu_quota(lim);

  if (!m.v2.empty() && has_controllers(m.v2 + "/cgroup.controllers")) {
    std::string base = m.v2 + "/hearth";
    static std::atomic<bool> delegated{false};  // the controllers, once enabled, stay
    if (!delegated) {
      if (auto r = make_dir(base); !r) return r.error();
      (void)write_file(m.v2 + "/cgroup.subtree_control", "+memory +pids +cpu");
      if (auto r = write_file(base + "/cgroup.subtree_control", "+memory +pids +cpu"); !r) return r.error();
      delegated = true;
    }
    std::string dir = base + "/" + name;
    if (auto r = make_dir(dir); !r) return r.error();
    cg->v2_ = true;
    cg->dirs_ = {dir};
    cg->memory_dir_ = cg->pids_dir_ = cg->cpu_dir_ = cg->cpuacct_dir_ = dir;
    std::string cpu_max = quota + " 100000";
    for (auto [file, value] : {std::pair{"/memory.max", bytes}, {"/pids.max", pids}, {"/cpu.max", cpu_max}})
      if (auto r = write_file(dir + file, value); !r) return r.error();
    if (exists(dir + "/memory.swap.max")) (void)write_file(dir + "/memory.swap.max", "0");
    if (auto r = cg->open_files(); !r) return r.error();
    return cg;
  }

  if (m.memory.empty() || m.pids.empty())
    return fail(sandbox_errc::cgroup_unavailable, "no usable cgroup v2 controllers and no v1 memory/pids hierarchy");
  auto sub = [&](const std::string& mount) -> result<std::string> {
    std::string base = mount + "/hearth";
    if (auto r = make_dir(base); !r) return r.error();
    std::string dir = base + "/" + name;
    if (auto r = make_dir(dir); !r) return r.error();
    cg->dirs_.push_back(dir);
    return dir;
  };
  auto mem = sub(m.memory);
  if (!mem) return mem.error();
  cg->memory_dir_ = *mem;
  if (auto r = write_file(*mem + "/memory.limit_in_bytes", bytes); !r) return r.error();
  if (exists(*mem + "/memory.memsw.limit_in_bytes")) (void)write_file(*mem + "/memory.memsw.limit_in_bytes", bytes);
  auto pd = m.pids == m.memory ? mem : sub(m.pids);
  if (!pd) return pd.error();
  cg->pids_dir_ = *pd;
  if (auto r = write_file(*pd + "/pids.max", pids); !r) return r.error();
  if (!m.cpu.empty()) {
    auto cd = sub(m.cpu);
    if (!cd) return cd.error();
    cg->cpu_dir_ = *cd;
    (void)write_file(*cd + "/cpu.cfs_period_us", "100000");
    (void)write_file(*cd + "/cpu.cfs_quota_us", quota);
  }
  if (!m.cpuacct.empty()) {
    if (m.cpuacct == m.cpu) cg->cpuacct_dir_ = cg->cpu_dir_;
    else if (auto ad = sub(m.cpuacct)) cg->cpuacct_dir_ = *ad;
  }
  if (auto r = cg->open_files(); !r) return r.error();
  return cg;
}

result<void> cgroup::open_files() {
  for (const auto& dir : dirs_) {
    int fd = open_file(dir + "/cgroup.procs", O_WRONLY);
    if (fd < 0) return fail(sandbox_errc::cgroup_unavailable, "open " + dir + "/cgroup.procs: " + std::strerror(errno));
    procs_fds_.push_back(fd);
  }
  if (v2_) {
    kill_fd_ = open_file(pids_dir_ + "/cgroup.kill", O_WRONLY);
    usage_fd_ = open_file(cpu_dir_ + "/cpu.stat", O_RDONLY);
    peak_fd_ = open_file(memory_dir_ + "/memory.peak", O_RDWR);  // writable (resettable) since Linux 6.12
    if (peak_fd_ < 0) peak_fd_ = open_file(memory_dir_ + "/memory.peak", O_RDONLY);
    oom_fd_ = open_file(memory_dir_ + "/memory.events", O_RDONLY);
    members_fd_ = open_file(pids_dir_ + "/cgroup.events", O_RDONLY);
  } else {
    if (!cpuacct_dir_.empty()) usage_fd_ = open_file(cpuacct_dir_ + "/cpuacct.usage", O_RDONLY);
    peak_fd_ = open_file(memory_dir_ + "/memory.max_usage_in_bytes", O_RDWR);  // writing resets it
    oom_fd_ = open_file(memory_dir_ + "/memory.oom_control", O_RDONLY);
    // No members_fd_: v1 serves a process list kept open from a cache.
  }
  return {};
}

void cgroup::remove_stale() {
  const mounts m = find_mounts();
  for (const std::string& mount : {m.v2, m.memory, m.pids, m.cpu, m.cpuacct}) {
    if (mount.empty()) continue;
    std::string base = mount + "/hearth";
    DIR* dir = ::opendir(base.c_str());
    if (!dir) continue;
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (e->d_type != DT_DIR) continue;
      if (name.rfind("run-", 0) == 0) {
        pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + 4));
        if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH) (void)::rmdir((base + "/" + name).c_str());
      } else if (name.rfind("guest-", 0) == 0) {
        // An environment's group (a couch guest's, a job's) outlives a node or
        // seller that was killed. Empty and not just made: nobody's. (A
        // populated group refuses rmdir.)
        struct stat st {};
        if (::stat((base + "/" + name).c_str(), &st) == 0 && st.st_ctime + 60 < ::time(nullptr))
          (void)::rmdir((base + "/" + name).c_str());
      }
    }
    ::closedir(dir);
  }
}

result<void> cgroup::add(pid_t pid) {
  std::string p = std::to_string(pid);
  for (std::size_t i = 0; i < procs_fds_.size(); ++i)
    if (::write(procs_fds_[i], p.data(), p.size()) != static_cast<ssize_t>(p.size()))
      return fail(sandbox_errc::cgroup_unavailable, "write " + dirs_[i] + "/cgroup.procs: " + std::strerror(errno));
  return {};
}

std::uint64_t cgroup::peak_memory_bytes() const { return number_of(pread_all(peak_fd_)); }

double cgroup::cpu_secs() const {
  std::string text = pread_all(usage_fd_);
  std::uint64_t used = v2_ ? keyed_value(text, "usage_usec") : number_of(text) / 1000;
  return static_cast<double>(used - std::min(used, cpu_base_usec_)) / 1e6;
}

std::uint64_t cgroup::oom_kills() const {
  std::uint64_t kills = keyed_value(pread_all(oom_fd_), "oom_kill");
  return kills - std::min(kills, oom_base_);
}

bool cgroup::restart_accounting() {
  restartable_ = restartable_ && peak_fd_ >= 0 && usage_fd_ >= 0 && oom_fd_ >= 0 && (members_fd_ >= 0 || !v2_) &&
                 ::pwrite(peak_fd_, "0", 1, 0) == 1;
  if (!restartable_) return false;
  cpu_base_usec_ = 0;
  oom_base_ = 0;
  cpu_base_usec_ = static_cast<std::uint64_t>(cpu_secs() * 1e6);
  oom_base_ = oom_kills();
  return true;
}

bool cgroup::populated() const {
  if (v2_) return keyed_value(pread_all(members_fd_), "populated") != 0;
  return !read_file(pids_dir_ + "/cgroup.procs").empty();
}

void cgroup::kill_all() {
  if (kill_fd_ >= 0) {
    (void)::write(kill_fd_, "1", 1);
    return;
  }
  // v1: new processes cannot appear faster than this loop for long, since
  // pids.max bounds them; a few passes empty the group.
  for (int pass = 0; pass < 16; ++pass) {
    std::istringstream procs(read_file(pids_dir_ + "/cgroup.procs"));
    bool any = false;
    for (pid_t pid; procs >> pid;) {
      ::kill(pid, SIGKILL);
      any = true;
    }
    if (!any) return;
  }
}

cgroup::~cgroup() {
  kill_all();
  for (int fd : procs_fds_) ::close(fd);
  for (int fd : {kill_fd_, usage_fd_, peak_fd_, oom_fd_, members_fd_})
    if (fd >= 0) ::close(fd);
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    // rmdir succeeds once the killed processes are reaped; retry briefly.
    for (int attempt = 0; attempt < 200 && ::rmdir(it->c_str()) != 0 && errno == EBUSY; ++attempt) ::usleep(5000);
  }
}

}  // namespace hearth::sandbox
