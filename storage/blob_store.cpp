#include "storage/blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crypto/sha256.hpp"

namespace hearth::storage {

bool blob_store::contains(const std::string& sha256_hex) const {
  return ::access(path(sha256_hex).c_str(), F_OK) == 0;
}

result<void> blob_store::put(const std::string& sha256_hex, const std::string& bytes) {
  if (!crypto::is_hash_hex(sha256_hex))
    return fail(storage_errc::bad_hash, "a blob name is 64 lowercase hex digits");
  if (crypto::to_hex(crypto::sha256(bytes)) != sha256_hex)
    return fail(offer_errc::executable_hash_mismatch, "the executable's sha256 is not the offer's");
  if (contains(sha256_hex)) return {};
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail(storage_errc::storage_error, dir_ + ": " + ec.message());
  static std::atomic<unsigned> counter{0};
  std::string tmp = dir_ + "/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555);
  if (fd < 0) return fail(storage_errc::storage_error, tmp + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  bool ok = off == bytes.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path(sha256_hex).c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail(storage_errc::storage_error, "writing executable " + sha256_hex + " failed");
  }
  return {};
}

}  // namespace hearth::storage
