// A hard disk quota for a directory: a sparse ext4 image of the quota's size
// mounted over it through a loop device, so writes past the quota fail with
// ENOSPC and usage is the filesystem's own count. Needs the node to be root
// (mount, loop devices) and e2fsprogs; where it is not possible, mount_quota
// says why and the caller measures usage instead.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "messages/result.hpp"
#include "sandbox/quota_images.hpp"

namespace hearth::sandbox {

// Creates image (size_mb, owned by owner inside) unless it exists (taken
// from images when one is ready), and mounts it at dir unless something is
// mounted there already.
result<void> mount_quota(const std::string& image, const std::string& dir, std::uint64_t size_mb, uid_t owner,
                         quota_image_pool* images = nullptr);
bool is_mount_point(const std::string& dir);
// Detaches whatever is mounted at dir (lazily: open files keep it until closed).
result<void> unmount(const std::string& dir);
// Bytes in use on the filesystem mounted at dir.
std::uint64_t filesystem_used_bytes(const std::string& dir);

}  // namespace hearth::sandbox
