// The node's embedded RocksDB: one column family per kind of record, atomic
// multi-key batches, synced writes. Thread-safe; shared by all actors.
// RocksDB types stay behind a pimpl so most translation units never see them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/result.hpp"

namespace hearth::storage {

// On-disk names are stable: never rename or reuse one; add new kinds at the end.
enum class column : int {
  meta,         // node-wide records (node identity, schema version)
  offers,       // signed offers by hash
  executables,  // content-addressed executables by sha256
  tasks,        // task records by id
  payments,     // payment records by id
  nonces,       // (payer, nonce) seen: the replay guard
  ledger,       // receivables per payer and asset
  invites,      // couch invites by id
  guests,       // couch guests by id
  jobs,         // marketplace jobs by id, with their state, seller and expiry indexes
  chain_txs,    // settlement transactions signed and not yet confirmed, by sender nonce and by payment
  secrets,      // offers' private env and stdin, sealed with the node's at-rest key, by sha256
  count_
};
inline constexpr int column_count = static_cast<int>(column::count_);

struct options {
  std::string path;
  bool sync_writes = true;  // fsync the WAL on every write: money is exactly once
  std::size_t block_cache_mb = 32;
};

// A set of puts and deletes over any columns, applied all or nothing.
class write_batch {
 public:
  void put(column c, std::string key, std::string value);
  void erase(column c, std::string key);
  bool empty() const { return ops_.empty(); }
  std::size_t size() const { return ops_.size(); }

 private:
  friend class store;
  struct op {
    column col;
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  std::vector<op> ops_;
};

using key_value = std::pair<std::string, std::string>;

class store {
 public:
  // Fails with "data_dir_locked" when another process holds the directory.
  static result<std::unique_ptr<store>> open(const options& opts);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  result<std::optional<std::string>> get(column c, std::string_view key) const;
  result<void> put(column c, std::string_view key, std::string_view value);
  // Unsynced, the batch reaches the log but not the disk: it survives the
  // node's crash, not the machine's, until the next synced write.
  enum class sync { yes, no };
  result<void> write(const write_batch& batch, sync mode = sync::yes);
  // Keys starting with prefix, strictly after start_after (empty: from the
  // first), at most limit of them, in key order: the basis of paged listings.
  result<std::vector<key_value>> scan(column c, std::string_view prefix, std::string_view start_after,
                                      std::size_t limit) const;
  // Flushes memtables to table files and syncs the WAL.
  result<void> flush();
  // Syncs the WAL: every write so far, unsynced ones included, is on disk.
  result<void> sync_log();
  const std::string& path() const;

  // RocksDB's own figures, summed over the columns: for /metrics.
  struct figures {
    std::uint64_t table_bytes = 0;     // live SST files
    std::uint64_t memtable_bytes = 0;  // memtables in memory
    std::uint64_t stall_slowdowns = 0;  // writes slowed since open (compaction behind)
    std::uint64_t stall_stops = 0;      // writes stopped since open
    bool writes_stopped = false;        // stopped now
  };
  figures stats() const;

 private:
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

// One record by key, decoded by decode(key, bytes) -> result<T>; nullopt when absent.
template <class T, class Decode>
result<std::optional<T>> load_record(const store& db, column c, const std::string& key, Decode decode) {
  auto raw = db.get(c, key);
  if (!raw) return raw.error();
  if (!*raw) return std::optional<T>{};
  result<T> value = decode(key, **raw);
  if (!value) return value.error();
  return std::optional<T>{std::move(*value)};
}

// A page of records in key order after start_after (keys starting with
// prefix), each decoded as above.
template <class T, class Decode>
result<std::vector<T>> list_records(const store& db, column c, std::string_view prefix, const std::string& start_after,
                                    std::size_t limit, Decode decode) {
  auto rows = db.scan(c, prefix, start_after, limit);
  if (!rows) return rows.error();
  std::vector<T> out;
  for (auto& [key, value] : *rows) {
    result<T> item = decode(key, value);
    if (!item) return item.error();
    out.push_back(std::move(*item));
  }
  return out;
}

template <class T, class Decode>
result<std::vector<T>> list_records(const store& db, column c, const std::string& start_after, std::size_t limit,
                                    Decode decode) {
  return list_records<T>(db, c, "", start_after, limit, decode);
}

}  // namespace hearth::storage
