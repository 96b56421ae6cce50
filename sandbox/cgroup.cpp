#include "sandbox/cgroup.hpp"

#include <algorithm>

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
  if (fd < 0) return fail("cgroup_unavailable", "open " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  int err = errno;
  ::close(fd);
  if (!ok) return fail("cgroup_unavailable", "write " + path + ": " + std::strerror(err));
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::uint64_t read_number(const std::string& path) {
  try {
    return std::stoull(read_file(path));
  } catch (...) {
    return 0;
  }
}

// "key value" lines, as in memory.events or cpu.stat.
std::uint64_t read_keyed(const std::string& path, const std::string& key) {
  std::istringstream in(read_file(path));
  std::string k;
  std::uint64_t v;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

result<void> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return fail("cgroup_unavailable", "mkdir " + path + ": " + std::strerror(errno));
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

}  // namespace

result<std::unique_ptr<cgroup>> cgroup::create(const std::string& name, const limits& lim) {
  static const mounts m = find_mounts();  // cgroup hierarchies do not move while the node runs
  std::unique_ptr<cgroup> cg(new cgroup());
  std::string bytes = std::to_string(lim.ram_mb << 20);
  std::string pids = std::to_string(lim.max_processes);
  // CPU bandwidth per 100 ms period: the limit's cores (at least 1 ms).
  std::string quota = std::to_string(std::max<long long>(1000, static_cast<long long>(lim.cpu_cores * 100000)));

  if (!m.v2.empty() && has_controllers(m.v2 + "/cgroup.controllers")) {
    std::string base = m.v2 + "/hearth";
    if (auto r = make_dir(base); !r) return r.error();
    (void)write_file(m.v2 + "/cgroup.subtree_control", "+memory +pids +cpu");
    if (auto r = write_file(base + "/cgroup.subtree_control", "+memory +pids +cpu"); !r) return r.error();
    std::string dir = base + "/" + name;
    if (auto r = make_dir(dir); !r) return r.error();
    cg->v2_ = true;
    cg->dirs_ = {dir};
    cg->memory_dir_ = cg->pids_dir_ = cg->cpu_dir_ = cg->cpuacct_dir_ = dir;
    std::string cpu_max = quota + " 100000";
    for (auto [file, value] : {std::pair{"/memory.max", bytes}, {"/pids.max", pids}, {"/cpu.max", cpu_max}})
      if (auto r = write_file(dir + file, value); !r) return r.error();
    if (exists(dir + "/memory.swap.max")) (void)write_file(dir + "/memory.swap.max", "0");
    return cg;
  }

  if (m.memory.empty() || m.pids.empty())
    return fail("cgroup_unavailable", "no usable cgroup v2 controllers and no v1 memory/pids hierarchy");
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
  return cg;
}

result<void> cgroup::add(pid_t pid) {
  std::string p = std::to_string(pid);
  for (const auto& dir : dirs_)
    if (auto r = write_file(dir + "/cgroup.procs", p); !r) return r;
  return {};
}

std::uint64_t cgroup::peak_memory_bytes() const {
  if (v2_) return exists(memory_dir_ + "/memory.peak") ? read_number(memory_dir_ + "/memory.peak") : 0;
  return read_number(memory_dir_ + "/memory.max_usage_in_bytes");
}

double cgroup::cpu_secs() const {
  if (v2_) return static_cast<double>(read_keyed(cpu_dir_ + "/cpu.stat", "usage_usec")) / 1e6;
  if (cpuacct_dir_.empty()) return 0;
  return static_cast<double>(read_number(cpuacct_dir_ + "/cpuacct.usage")) / 1e9;
}

std::uint64_t cgroup::oom_kills() const {
  if (v2_) return read_keyed(memory_dir_ + "/memory.events", "oom_kill");
  return read_keyed(memory_dir_ + "/memory.oom_control", "oom_kill");
}


void cgroup::kill_all() {
  if (v2_ && exists(pids_dir_ + "/cgroup.kill")) {
    (void)write_file(pids_dir_ + "/cgroup.kill", "1");
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
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    // rmdir succeeds once the killed processes are reaped; retry briefly.
    for (int attempt = 0; attempt < 200 && ::rmdir(it->c_str()) != 0 && errno == EBUSY; ++attempt) ::usleep(5000);
  }
}

}  // namespace hearth::sandbox
