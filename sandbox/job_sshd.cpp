#include "sandbox/job_sshd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "messages/errors.hpp"
#include "sandbox/launch_plan.hpp"
#include "sandbox/system_tool.hpp"

namespace hearth::sandbox {
namespace {

constexpr const char* inside_dir = "/run/hearth-ssh";

failure failed(const std::string& what) { return fail(market_errc::provision_failed, what); }

result<void> write_owned(const std::string& path, const std::string& text, mode_t mode, unsigned uid) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return failed("cannot write " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fchmod(fd, mode) == 0;
  if (::geteuid() == 0) ok = ok && ::fchown(fd, uid, uid) == 0;
  ::close(fd);
  if (!ok) return failed("cannot write " + path);
  return {};
}

// authorized_keys' expiry-time: YYYYMMDDHHMM in UTC, rounded up to the minute.
std::string expiry_time(std::int64_t at_ms) {
  std::time_t t = static_cast<std::time_t>((at_ms + 59999) / 60000 * 60);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y%m%d%H%MZ", &tm);
  return out;
}

std::string sshd_config() {
  std::ostringstream c;
  c << "HostKey " << inside_dir << "/host_key\n"
    << "AuthorizedKeysFile " << inside_dir << "/authorized_keys\n"
    << "AllowUsers " << job_ssh_user << "\n"
    << "PidFile none\n"
    << "StrictModes no\n"
    << "UsePAM no\n"
    << "PubkeyAuthentication yes\n"
    << "PasswordAuthentication no\n"
    << "KbdInteractiveAuthentication no\n"
    << "PermitRootLogin no\n"
    << "PermitUserEnvironment no\n"
    << "X11Forwarding no\n"
    << "PermitTunnel no\n"
    << "AllowAgentForwarding no\n"
    << "GatewayPorts no\n"
    << "AllowTcpForwarding yes\n"
    << "Subsystem sftp internal-sftp\n"
    << "ClientAliveInterval 15\n"
    << "ClientAliveCountMax 4\n"
    << "LoginGraceTime 30\n"
    << "MaxAuthTries 3\n"
    << "PrintMotd no\n"
    << "PrintLastLog no\n"
    << "LogLevel INFO\n";
  return c.str();
}

}  // namespace

std::vector<std::string> job_sshd_argv() {
  return {"/usr/sbin/sshd", "-i", "-e", "-f", std::string(inside_dir) + "/sshd_config"};
}

result<void> job_sshd_available() {
  if (::access("/usr/sbin/sshd", X_OK) != 0)
    return fail(sandbox_errc::isolation_unavailable, "sshd: /usr/sbin/sshd is missing (install openssh-server)");
  if (find_system_tool("ssh-keygen").empty())
    return fail(sandbox_errc::isolation_unavailable, "ssh-keygen is missing (install openssh-client)");
  return {};
}

result<void> write_authorized_key(const std::string& dir, const std::string& authorized_key,
                                  std::int64_t expires_at_ms, unsigned owner_uid) {
  std::string options = "restrict,pty,port-forwarding,expiry-time=\"" + expiry_time(expires_at_ms) + "\" ";
  std::string path = dir + "/ssh/authorized_keys", fresh = path + ".new";
  if (auto w = write_owned(fresh, options + authorized_key + "\n", 0600, owner_uid); !w) return w;
  if (::rename(fresh.c_str(), path.c_str()) != 0) return failed("cannot replace " + path);
  return {};
}

result<job_sshd_files> prepare_job_sshd(const std::string& dir, const std::string& job_id,
                                        const std::string& authorized_key, std::int64_t expires_at_ms,
                                        unsigned owner_uid, const std::string& system_root) {
  if (auto ok = job_sshd_available(); !ok) return ok.error();
  std::string ssh = dir + "/ssh";
  if (::mkdir(dir.c_str(), 0711) != 0 && errno != EEXIST) return failed("cannot create " + dir);
  if (::mkdir(ssh.c_str(), 0700) != 0 && errno != EEXIST) return failed("cannot create " + ssh);
  if (::geteuid() == 0 && ::chown(ssh.c_str(), owner_uid, owner_uid) != 0) return failed("cannot hand " + ssh + " over");
  std::string key = ssh + "/host_key";
  ::unlink(key.c_str());
  ::unlink((key + ".pub").c_str());
  if (auto made = run_system_tool({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hearth-job-" + job_id, "-f", key});
      !made)
    return failed("ssh-keygen: " + made.error().message);
  if (::geteuid() == 0 && (::chown(key.c_str(), owner_uid, owner_uid) != 0 || ::chmod(key.c_str(), 0600) != 0))
    return failed("cannot hand the host key over");
  std::ifstream pub(key + ".pub");
  std::string type, blob;
  pub >> type >> blob;
  if (type.empty() || blob.empty()) return failed("ssh-keygen wrote no public key");

  if (auto w = write_authorized_key(dir, authorized_key, expires_at_ms, owner_uid); !w) return w.error();
  if (auto w = write_owned(ssh + "/sshd_config", sshd_config(), 0600, owner_uid); !w) return w.error();
  std::string shell = ::access((system_root + "/bin/bash").c_str(), X_OK) == 0 ? "/bin/bash" : "/bin/sh";
  std::string uid = std::to_string(detail::inside_id);
  std::string passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\n" + std::string(job_ssh_user) + ":x:" + uid + ":" +
                       uid + ":hearth job " + job_id + ":/home/guest:" + shell +
                       "\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  std::string group = "root:x:0:\n" + std::string(job_ssh_user) + ":x:" + uid + ":\nnogroup:x:65534:\n";
  // Beside ssh/, not in it: the sandbox opens a bind's source before it takes its uid.
  if (auto w = write_owned(dir + "/passwd", passwd, 0644, owner_uid); !w) return w.error();
  if (auto w = write_owned(dir + "/group", group, 0644, owner_uid); !w) return w.error();

  job_sshd_files out;
  out.host_public_key = type + " " + blob;
  out.binds = {{ssh, inside_dir, true}, {dir + "/passwd", "/etc/passwd", true}, {dir + "/group", "/etc/group", true}};
  return out;
}

}  // namespace hearth::sandbox
