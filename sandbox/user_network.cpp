#include "sandbox/user_network.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/system_tool.hpp"

extern char** environ;

namespace hearth::sandbox {
namespace {

constexpr int ready_timeout_ms = 10000;

}  // namespace

bool user_network::available() { return !find_system_tool("slirp4netns").empty(); }

result<std::unique_ptr<user_network>> user_network::attach(pid_t pid, bool host_loopback) {
  std::string path = find_system_tool("slirp4netns");
  if (path.empty()) return fail(sandbox_errc::network_unavailable, "slirp4netns is not installed");
  int ready[2], exit_pipe[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return fail(sandbox_errc::network_unavailable, std::string("pipe2: ") + std::strerror(errno));
  if (::pipe2(exit_pipe, O_CLOEXEC) != 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return fail(sandbox_errc::network_unavailable, std::string("pipe2: ") + std::strerror(errno));
  }
  // The helper keeps its ends at 3 (ready) and 4 (exit) across exec.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ready[1], 3);
  posix_spawn_file_actions_adddup2(&actions, exit_pipe[0], 4);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {path, "--configure", "--mtu=65520", "--ready-fd=3", "--exit-fd=4"};
  if (!host_loopback) args.push_back("--disable-host-loopback");
  if (::geteuid() == 0) args.push_back("--enable-sandbox");
  else args.push_back("--userns-path=/proc/" + std::to_string(pid) + "/ns/user");
  args.push_back(std::to_string(pid));
  args.push_back("tap0");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto net = std::unique_ptr<user_network>(new user_network());
  int err = ::posix_spawn(&net->helper_, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(ready[1]);
  ::close(exit_pipe[0]);
  net->exit_fd_ = exit_pipe[1];
  if (err != 0) {
    net->helper_ = -1;
    ::close(ready[0]);
    return fail(sandbox_errc::network_unavailable, std::string("cannot start slirp4netns: ") + std::strerror(err));
  }
  pollfd p{ready[0], POLLIN, 0};
  char byte = 0;
  bool up = ::poll(&p, 1, ready_timeout_ms) == 1 && ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (!up) return fail(sandbox_errc::network_unavailable, "slirp4netns did not bring the interface up");  // the destructor ends it
  return net;
}

user_network::~user_network() {
  if (exit_fd_ >= 0) ::close(exit_fd_);
  if (helper_ > 0) {
    ::kill(helper_, SIGTERM);
    ::waitpid(helper_, nullptr, 0);
  }
}

std::uint64_t user_network::egress_bytes(pid_t pid) {
  std::ifstream dev("/proc/" + std::to_string(pid) + "/net/dev");
  std::uint64_t total = 0;
  std::string line;
  while (std::getline(dev, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t v = 0, tx_bytes = 0;
    for (int i = 0; i < 9 && (fields >> v); ++i)
      if (i == 8) tx_bytes = v;  // receive: 8 fields; then transmit bytes
    total += tx_bytes;
  }
  return total;
}

}  // namespace hearth::sandbox
