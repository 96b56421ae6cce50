// Finished deterministic tasks held in memory, least recently used first
// out, bounded by bytes: a cache hit of a deterministic offer is answered
// without a RocksDB read and decode. Valid as long as the record would be
// in storage: an entry the retention sweep may have deleted (finished
// before the cutoff, or past its own retention) is dropped, not served.
// Owned by the task registry; not thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "messages/task.hpp"

namespace hearth::storage {

class task_cache {
 public:
  explicit task_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // The record, when held and still within retention (cutoff_ms: the
  // sweep's, finished before it is gone; now_ms for its own retention).
  std::optional<task_record> find(const std::string& id, std::int64_t cutoff_ms, std::int64_t now_ms) {
    auto it = index_.find(id);
    if (it == index_.end()) return std::nullopt;
    const task_record& t = it->second->record;
    if (t.finished_at_ms < cutoff_ms || (t.retain_until_ms && t.retain_until_ms < now_ms)) {
      erase(it);
      return std::nullopt;
    }
    entries_.splice(entries_.begin(), entries_, it->second);
    return t;
  }

  void put(const task_record& t) {
    std::size_t size = size_of(t);
    if (size > max_bytes_ / 8) return;  // a large output stays in storage
    if (auto it = index_.find(t.id); it != index_.end()) erase(it);
    entries_.push_front({t, size});
    index_.emplace(t.id, entries_.begin());
    bytes_ += size;
    while (bytes_ > max_bytes_ && !entries_.empty()) erase(index_.find(entries_.back().record.id));
  }

  std::size_t bytes() const { return bytes_; }
  std::size_t size() const { return index_.size(); }

 private:
  struct entry {
    task_record record;
    std::size_t bytes;
  };
  using index_type = std::unordered_map<std::string, std::list<entry>::iterator>;

  static std::size_t size_of(const task_record& t) {
    return sizeof(task_record) + 2 * t.id.size() + t.offer_hash.size() + t.input_hash.size() + t.stdout_data.size() +
           t.stderr_data.size() + t.output_signature.size() + t.error.size() + t.error_code.size() + t.read_token_hash.size() + 64;
  }

  void erase(index_type::iterator it) {
    bytes_ -= it->second->bytes;
    entries_.erase(it->second);
    index_.erase(it);
  }

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::list<entry> entries_;  // most recently used first
  index_type index_;
};

}  // namespace hearth::storage
