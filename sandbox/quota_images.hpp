// Quota images formatted ahead of need: a redeem takes a ready image (a
// rename) instead of running mkfs.ext4 on its path. A taken image is
// refilled by a background thread, up to per_kind of each size and owner
// (at most max_kinds kinds are kept). Images are fresh filesystems and are
// never given back, so nothing passes from one guest to the next.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "messages/result.hpp"

namespace hearth::sandbox {

// A sparse ext4 image of size_mb at path, its root owned by owner; made
// under a temporary name and renamed, so path is whole or absent.
result<void> make_quota_image(const std::string& path, std::uint64_t size_mb, uid_t owner);

class quota_image_pool {
 public:
  // dir: on the same filesystem as the images' destinations. Leftovers of
  // an interrupted fill are removed; ready images are kept.
  explicit quota_image_pool(std::string dir, unsigned per_kind = 2, unsigned max_kinds = 8);
  ~quota_image_pool();  // stops the filler (an image it is making is discarded)
  quota_image_pool(const quota_image_pool&) = delete;
  quota_image_pool& operator=(const quota_image_pool&) = delete;

  // Moves a ready image of this kind to path; false when none is ready.
  // Either way the kind is refilled in the background.
  bool take(const std::string& path, std::uint64_t size_mb, uid_t owner);
  // Ready images of this kind (for tests and status).
  unsigned ready(std::uint64_t size_mb, uid_t owner) const;
  // Until n of this kind are ready, or timeout; whether they are.
  bool wait_ready(std::uint64_t size_mb, uid_t owner, unsigned n, std::chrono::milliseconds timeout);

 private:
  using kind = std::pair<std::uint64_t, uid_t>;
  std::string name_of(const kind& k, unsigned slot) const;
  unsigned ready_locked(const kind& k) const;
  void fill();

  std::string dir_;
  unsigned per_kind_, max_kinds_;
  mutable std::mutex mu_;
  std::condition_variable wake_, made_;
  std::set<kind> kinds_;
  bool stop_ = false;
  std::thread filler_;
};

}  // namespace hearth::sandbox
