// A marketplace job's sshd inside its environment, as the sandbox library
// builds it: Debian's OpenSSH client logs in over loopback with the buyer's
// key and lands inside the environment (its uid, hostname, cgroup, pid
// namespace), gets a pty, copies files both ways with scp; another key is
// refused; a file of the host outside the environment is not there; after
// the environment is destroyed no login works.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "protocols/ssh_key.hpp"
#include "sandbox/guest_env.hpp"
#include "sandbox/job_sshd.hpp"
#include "support/process.hpp"
#include "support/skip.hpp"

using namespace hearth;
using namespace hearth::test;

namespace {

// Accepts connections on a loopback port and serves each with the job's sshd -i.
struct door {
  int fd = -1;
  std::uint16_t port = 0;
  std::thread loop;
  std::mutex mu;
  std::vector<std::unique_ptr<sandbox::sandboxed_process>> sessions;
  std::vector<std::thread> drains;
  std::string log;  // every sshd's stderr (-e), for failure messages

  std::string logs() {
    std::lock_guard lock(mu);
    return log;
  }

  door(sandbox::local_environments& envs, const std::string& id, const sandbox::environment_spec& spec) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    loop = std::thread([this, &envs, id, spec] {
      for (;;) {
        int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        auto p = envs.serve_socket(id, spec, sandbox::job_sshd_argv(), c);
        ::close(c);
        std::lock_guard lock(mu);
        if (!p) {
          log += "serve_socket: " + p.error().message + "\n";
          continue;
        }
        drains.emplace_back([this, err = (*p)->stderr_fd] {
          char buf[4096];
          for (ssize_t n; (n = ::read(err, buf, sizeof buf)) > 0;) {
            std::lock_guard lock(mu);
            log.append(buf, static_cast<std::size_t>(n));
          }
        });
        sessions.push_back(std::move(*p));
      }
    });
  }
  ~door() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    loop.join();
    // Each drain ends when its sshd has: end those still running.
    for (auto& p : sessions) ::syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, nullptr, 0);
    for (auto& t : drains) t.join();
  }
};

}  // namespace

TEST_CASE("a job's sshd runs inside its environment and takes only the buyer's key", "[job-sshd]") {
  if (::geteuid() != 0) HEARTH_SKIP("the job environments need root here (user namespaces with a mapped uid)");
  if (auto ok = sandbox::job_sshd_available(); !ok) HEARTH_SKIP(ok.error().message);
  if (::access("/usr/bin/ssh", X_OK) != 0 || ::access("/usr/bin/scp", X_OK) != 0) HEARTH_SKIP("no OpenSSH client");
  temp_dir tmp;
  REQUIRE(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp.file("buyer")}).status == 0);
  REQUIRE(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp.file("stranger")}).status == 0);
  auto key = protocols::normalize_ssh_pubkey(read_text(tmp.file("buyer.pub")));
  REQUIRE(key);

  std::string base = tmp.file("envs");
  std::filesystem::create_directories(base);
  sandbox::local_environments envs(base);
  const std::string id = "job1";
  auto files = sandbox::prepare_job_sshd(envs.directory(id), id, *key,
                                         (static_cast<std::int64_t>(::time(nullptr)) + 3600) * 1000,
                                         ::geteuid() == 0 ? 65534 : ::geteuid(), "");
  REQUIRE(files);
  sandbox::environment_spec spec;
  spec.ram_mb = 256;
  spec.binds = files->binds;
  spec.devpts = true;
  auto created = envs.create(id, spec);
  INFO((created ? "" : created.error().message));
  REQUIRE(created);

  door d(envs, id, spec);
  std::ofstream(tmp.file("known_hosts")) << "[127.0.0.1]:" << d.port << " " << files->host_public_key << "\n";
  std::vector<std::string> ssh_opts = {"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
                                       "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + tmp.file("known_hosts"),
                                       "-o", "ConnectTimeout=10"};
  auto ssh = [&](const std::string& identity, std::vector<std::string> extra, const std::string& command) {
    std::vector<std::string> argv = {"ssh", "-i", identity, "-p", std::to_string(d.port)};
    argv.insert(argv.end(), ssh_opts.begin(), ssh_opts.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(std::string(sandbox::job_ssh_user) + "@127.0.0.1");
    argv.push_back(command);
    return run(argv);
  };

  std::string me = std::to_string(::getpid());  // large on the host; the environment's pids start at 1
  auto who = ssh(tmp.file("buyer"), {}, "id; hostname; cat /proc/self/cgroup; test -e /proc/" + me + " || echo own-pids");
  INFO(who.out << who.err << d.logs());
  REQUIRE(who.status == 0);
  CHECK(who.out.find("uid=1000(guest)") != std::string::npos);
  CHECK(who.out.find("sandbox\n") != std::string::npos);
  CHECK(who.out.find("guest-" + id) != std::string::npos);
  CHECK(who.out.find("own-pids") != std::string::npos);

  // A file of the host's that the environment does not bind is not there.
  std::ofstream(tmp.file("host-secret")) << "secret";
  auto secret = ssh(tmp.file("buyer"), {}, "cat " + tmp.file("host-secret") + " || echo absent");
  CHECK(secret.out.find("absent") != std::string::npos);

  auto tty = ssh(tmp.file("buyer"), {"-tt"}, "tty");
  INFO(tty.out << tty.err);
  CHECK(tty.out.find("/dev/pts/") != std::string::npos);

  std::ofstream(tmp.file("in.txt")) << "to the job\n";
  std::vector<std::string> scp = {"scp", "-i", tmp.file("buyer"), "-P", std::to_string(d.port)};
  scp.insert(scp.end(), ssh_opts.begin(), ssh_opts.end());
  auto up = scp;
  up.insert(up.end(), {tmp.file("in.txt"), "guest@127.0.0.1:in.txt"});
  auto sent = run(up);
  INFO(sent.err);
  REQUIRE(sent.status == 0);
  CHECK(ssh(tmp.file("buyer"), {}, "cat ~/in.txt; echo back > ~/out.txt").out == "to the job\n");
  auto down = scp;
  down.insert(down.end(), {"guest@127.0.0.1:out.txt", tmp.file("out.txt")});
  REQUIRE(run(down).status == 0);
  CHECK(read_text(tmp.file("out.txt")) == "back\n");

  auto stranger = ssh(tmp.file("stranger"), {}, "id");
  CHECK(stranger.status != 0);
  CHECK(stranger.err.find("Permission denied") != std::string::npos);

  REQUIRE(envs.destroy(id));
  auto after = ssh(tmp.file("buyer"), {}, "id");
  CHECK(after.status != 0);
}
