#include "sandbox/disk_quota.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/system_tool.hpp"

namespace hearth::sandbox {

bool is_mount_point(const std::string& dir) {
  struct stat here {}, parent {};
  if (::stat(dir.c_str(), &here) != 0 || ::stat((dir + "/..").c_str(), &parent) != 0) return false;
  return here.st_dev != parent.st_dev;
}

result<void> mount_quota(const std::string& image, const std::string& dir, std::uint64_t size_mb, uid_t owner) {
  if (::geteuid() != 0) return fail(sandbox_errc::quota_unavailable, "only a node running as root can mount a disk quota");
  if (is_mount_point(dir)) return {};
  if (::access(image.c_str(), F_OK) != 0) {
    std::string part = image + ".new";  // never a half-made image under the real name
    int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail(sandbox_errc::quota_unavailable, "cannot create " + part + ": " + std::strerror(errno));
    bool sized = ::ftruncate(fd, static_cast<off_t>(size_mb) << 20) == 0;
    ::close(fd);
    if (!sized) return fail(sandbox_errc::quota_unavailable, "cannot size " + part);
    std::string owner_ids = std::to_string(owner) + ":" + std::to_string(owner);
    if (auto made = run_system_tool({"mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                              "root_owner=" + owner_ids + ",lazy_itable_init=1,lazy_journal_init=1", part});
        !made) {
      ::unlink(part.c_str());
      return made;
    }
    if (::rename(part.c_str(), image.c_str()) != 0)
      return fail(sandbox_errc::quota_unavailable, "cannot rename " + part + ": " + std::strerror(errno));
  }
  return run_system_tool({"mount", "-o", "loop,nosuid,nodev,noatime", image, dir});
}

result<void> unmount(const std::string& dir) {
  if (!is_mount_point(dir)) return {};
  if (::umount2(dir.c_str(), MNT_DETACH) != 0)
    return fail(couch_errc::environment_failed, "umount " + dir + ": " + std::strerror(errno));
  return {};
}

std::uint64_t filesystem_used_bytes(const std::string& dir) {
  struct statvfs sv {};
  if (::statvfs(dir.c_str(), &sv) != 0) return 0;
  return static_cast<std::uint64_t>(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
}

}  // namespace hearth::sandbox
