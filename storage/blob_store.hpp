// Content-addressed executables: DIR/<sha256 hex>, mode 0555, written once
// (temporary file, fsync, rename), however many offers use them.
#pragma once

#include <string>

#include "messages/result.hpp"

namespace hearth::storage {

class blob_store {
 public:
  explicit blob_store(std::string dir) : dir_(std::move(dir)) {}
  // Verifies the sha256 of bytes against sha256_hex before anything lands.
  result<void> put(const std::string& sha256_hex, const std::string& bytes);
  bool contains(const std::string& sha256_hex) const;
  std::string path(const std::string& sha256_hex) const { return dir_ + "/" + sha256_hex; }

 private:
  std::string dir_;
};

}  // namespace hearth::storage
