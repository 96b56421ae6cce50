#include "sandbox/quota_images.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "sandbox/system_tool.hpp"

namespace hearth::sandbox {

namespace fs = std::filesystem;

result<void> make_quota_image(const std::string& path, std::uint64_t size_mb, uid_t owner) {
  std::string part = path + ".new";
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(sandbox_errc::quota_unavailable, "cannot create " + part + ": " + std::strerror(errno));
  bool sized = ::ftruncate(fd, static_cast<off_t>(size_mb) << 20) == 0;
  ::close(fd);
  if (!sized) {
    ::unlink(part.c_str());
    return fail(sandbox_errc::quota_unavailable, "cannot size " + part);
  }
  std::string owner_ids = std::to_string(owner) + ":" + std::to_string(owner);
  if (auto made = run_system_tool({"mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                                   "root_owner=" + owner_ids + ",lazy_itable_init=1,lazy_journal_init=1", part});
      !made) {
    ::unlink(part.c_str());
    return made;
  }
  if (::rename(part.c_str(), path.c_str()) != 0) {
    ::unlink(part.c_str());
    return fail(sandbox_errc::quota_unavailable, "cannot rename " + part + ": " + std::strerror(errno));
  }
  return {};
}

quota_image_pool::quota_image_pool(std::string dir, unsigned per_kind, unsigned max_kinds)
    : dir_(std::move(dir)), per_kind_(per_kind), max_kinds_(max_kinds) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".new") fs::remove(it->path(), ec);
  filler_ = std::thread([this] { fill(); });
}

quota_image_pool::~quota_image_pool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  filler_.join();
}

std::string quota_image_pool::name_of(const kind& k, unsigned slot) const {
  return dir_ + "/" + std::to_string(k.first) + "m-" + std::to_string(k.second) + "-" + std::to_string(slot) + ".img";
}

bool quota_image_pool::take(const std::string& path, std::uint64_t size_mb, uid_t owner) {
  kind k{size_mb, owner};
  bool taken = false;
  {
    std::lock_guard lock(mu_);
    for (unsigned slot = 0; slot < per_kind_ && !taken; ++slot)
      taken = ::rename(name_of(k, slot).c_str(), path.c_str()) == 0;
    if (kinds_.size() < max_kinds_ || kinds_.count(k)) kinds_.insert(k);
  }
  wake_.notify_all();
  return taken;
}

unsigned quota_image_pool::ready_locked(const kind& k) const {
  unsigned n = 0;
  for (unsigned slot = 0; slot < per_kind_; ++slot) n += ::access(name_of(k, slot).c_str(), F_OK) == 0;
  return n;
}

unsigned quota_image_pool::ready(std::uint64_t size_mb, uid_t owner) const {
  std::lock_guard lock(mu_);
  return ready_locked({size_mb, owner});
}

bool quota_image_pool::wait_ready(std::uint64_t size_mb, uid_t owner, unsigned n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return made_.wait_for(lock, timeout, [&] { return ready_locked({size_mb, owner}) >= n; });
}

// Makes the missing images, one at a time, until stopped; sleeps until a take.
void quota_image_pool::fill() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    std::string missing;
    kind k{};
    for (const auto& candidate : kinds_) {
      for (unsigned slot = 0; slot < per_kind_ && missing.empty(); ++slot)
        if (::access(name_of(candidate, slot).c_str(), F_OK) != 0) missing = name_of(candidate, slot);
      if (!missing.empty()) {
        k = candidate;
        break;
      }
    }
    if (missing.empty()) {
      wake_.wait(lock);
      continue;
    }
    lock.unlock();  // a take meanwhile renames only whole images (the one being made is .new)
    auto made = make_quota_image(missing, k.first, k.second);
    lock.lock();
    made_.notify_all();
    if (!made) {
      spdlog::warn("quota image pool: {}; not refilled until the next take", made.error().message);
      kinds_.erase(k);
    }
  }
}

}  // namespace hearth::sandbox
