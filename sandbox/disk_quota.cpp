#include "sandbox/disk_quota.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/system_tool.hpp"

namespace hearth::sandbox {

namespace {

enum class loop_mount { mounted, unsupported, failed };

// The image on a free loop device (detached again when unmounted), mounted
// at dir: what mount -o loop does, without starting mount(8) (half of a
// quota's set-up time). unsupported: no loop-control or no LOOP_CONFIGURE
// (before Linux 5.8), and mount(8) is asked instead.
loop_mount mount_by_ioctl(const std::string& image, const std::string& dir, std::string& why) {
  int ctl = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0) return loop_mount::unsupported;
  loop_mount out = loop_mount::failed;
  for (int attempt = 0; attempt < 8; ++attempt) {  // another process may take the free device first
    int n = ::ioctl(ctl, LOOP_CTL_GET_FREE);
    if (n < 0) {
      why = std::string("no free loop device: ") + std::strerror(errno);
      break;
    }
    std::string dev = "/dev/loop" + std::to_string(n);
    int loop = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
    if (loop < 0) {
      out = errno == ENOENT ? loop_mount::unsupported : loop_mount::failed;  // no device nodes here
      why = "cannot open " + dev + ": " + std::strerror(errno);
      break;
    }
    int backing = ::open(image.c_str(), O_RDWR | O_CLOEXEC);
    if (backing < 0) {
      why = "cannot open " + image + ": " + std::strerror(errno);
      ::close(loop);
      break;
    }
    loop_config config{};
    config.fd = static_cast<__u32>(backing);
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(), LO_NAME_SIZE - 1);
    int configured = ::ioctl(loop, LOOP_CONFIGURE, &config);
    int configure_errno = errno;
    ::close(backing);
    if (configured != 0) {
      ::close(loop);
      if (configure_errno == EBUSY) continue;
      out = configure_errno == EINVAL || configure_errno == ENOTTY ? loop_mount::unsupported : loop_mount::failed;
      why = std::string("LOOP_CONFIGURE: ") + std::strerror(configure_errno);
      break;
    }
    int mounted = ::mount(dev.c_str(), dir.c_str(), "ext4", MS_NOSUID | MS_NODEV | MS_NOATIME, nullptr);
    int mount_errno = errno;
    ::close(loop);  // the mount holds the device; without one, autoclear frees it
    if (mounted == 0) out = loop_mount::mounted;
    else why = "mount " + dev + " at " + dir + ": " + std::strerror(mount_errno);
    break;
  }
  ::close(ctl);
  return out;
}

}  // namespace

bool is_mount_point(const std::string& dir) {
  struct stat here {}, parent {};
  if (::stat(dir.c_str(), &here) != 0 || ::stat((dir + "/..").c_str(), &parent) != 0) return false;
  return here.st_dev != parent.st_dev;
}

result<void> mount_quota(const std::string& image, const std::string& dir, std::uint64_t size_mb, uid_t owner,
                         quota_image_pool* images) {
  if (::geteuid() != 0) return fail(sandbox_errc::quota_unavailable, "only a node running as root can mount a disk quota");
  if (is_mount_point(dir)) return {};
  if (::access(image.c_str(), F_OK) != 0 && !(images && images->take(image, size_mb, owner)))
    if (auto made = make_quota_image(image, size_mb, owner); !made) return made;
  std::string why;
  switch (mount_by_ioctl(image, dir, why)) {
    case loop_mount::mounted: return {};
    case loop_mount::failed: return fail(sandbox_errc::quota_unavailable, why);
    case loop_mount::unsupported: break;
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
