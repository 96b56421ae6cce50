#include "sandbox/guest_env.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "sandbox/runner.hpp"

namespace hearth::sandbox {

namespace fs = std::filesystem;

std::string local_environments::home(const std::string& id) const { return base_ + "/" + id + "/home"; }

bool local_environments::exists(const std::string& id) const {
  std::error_code ec;
  return fs::is_directory(home(id), ec);
}

result<void> local_environments::create(const std::string& id) const {
  if (id.empty() || id.find('/') != std::string::npos || id[0] == '.') return fail("bad_guest_id", "invalid guest id");
  std::error_code ec;
  fs::create_directories(home(id), ec);
  if (ec) return fail("environment_failed", "cannot create " + home(id) + ": " + ec.message());
  // The sandbox's uid outside is nobody when the node runs as root, else the node's own.
  if (::geteuid() == 0 && ::chown(home(id).c_str(), 65534, 65534) != 0)
    return fail("environment_failed", "cannot hand " + home(id) + " to the sandbox uid");
  ::chmod(home(id).c_str(), 0700);
  return {};
}

result<run_report> local_environments::exec(const std::string& id, guest_exec request) const {
  if (!exists(id)) return fail("environment_missing", "the guest's environment does not exist");
  if (request.argv.empty()) return fail("bad_command", "nothing to run");
  launch_spec spec;
  spec.executable = request.argv[0];
  spec.argv0 = request.argv[0];
  spec.args.assign(request.argv.begin() + 1, request.argv.end());
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/guest", "USER=guest", "LANG=C.UTF-8", "TERM=dumb"};
  spec.lim = request.lim;
  spec.writable = {{home(id), "/home/guest"}};
  spec.workdir = "/home/guest";
  run_io io;
  io.stdin_data = std::move(request.stdin_data);
  io.on_stdout = std::move(request.on_stdout);
  io.on_stderr = std::move(request.on_stderr);
  io.cancel = request.cancel;
  return run(spec, std::move(io));
}

result<void> local_environments::destroy(const std::string& id) const {
  if (id.empty() || id.find('/') != std::string::npos || id[0] == '.') return fail("bad_guest_id", "invalid guest id");
  std::error_code ec;
  fs::remove_all(base_ + "/" + id, ec);
  if (ec) return fail("environment_failed", "cannot remove " + base_ + "/" + id + ": " + ec.message());
  return {};
}

std::uint64_t local_environments::disk_usage_bytes(const std::string& id) const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(home(id), fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

}  // namespace hearth::sandbox
