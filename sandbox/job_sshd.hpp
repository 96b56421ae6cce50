// What a marketplace job's own sshd needs inside the job's environment:
// a fresh ed25519 host key, an authorized_keys holding only the buyer's key
// (restricted, expiring with the job), an sshd_config for an sshd that runs
// as the environment's non-root uid (no privilege separation to fail: no
// chroot, no setgroups; StrictModes off because the unmapped host root shows
// as nobody; internal-sftp, no passwords, no PAM, no agent or X11), and a
// passwd and group of the job's own (its login name; no "tty" group, so a
// pty's chown stays within the mapped ids). All of it is written under the
// job's directory and bound read-only into the environment at
// /run/hearth-ssh, /etc/passwd and /etc/group. A plain library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "sandbox/launcher.hpp"

namespace hearth::sandbox {

inline constexpr const char* job_ssh_user = "guest";

struct job_sshd_files {
  std::vector<writable_dir> binds;  // for environment_spec::binds
  std::string host_public_key;      // "ssh-ed25519 AAAA..." without comment
};

// dir: a directory of the job's (created; removed with the environment).
// owner_uid: who the environment's uid is outside (the files are its own).
// system_root: the image's root ("" the host's), for the login shell.
result<job_sshd_files> prepare_job_sshd(const std::string& dir, const std::string& job_id,
                                        const std::string& authorized_key, std::int64_t expires_at_ms,
                                        unsigned owner_uid, const std::string& system_root);

// The buyer's key line again with a new expiry (an extension); sshd reads
// it at every login.
result<void> write_authorized_key(const std::string& dir, const std::string& authorized_key,
                                  std::int64_t expires_at_ms, unsigned owner_uid);

// sshd -i (one connection on stdin/stdout) with the job's configuration.
std::vector<std::string> job_sshd_argv();

// Whether this host can serve jobs over SSH (Debian's openssh-server's sshd
// and ssh-keygen); the message names what is missing.
result<void> job_sshd_available();

}  // namespace hearth::sandbox
