#include "storage/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

#include <cstdlib>
#include <filesystem>
#include <map>

namespace hearth::storage {
namespace {

constexpr std::string_view names[column_count] = {"meta", "offers", "executables", "tasks", "payments",
                                                   "nonces", "ledger", "invites", "guests", "jobs", "chainTxs", "secrets"};

failure from_status(const rocksdb::Status& s, std::string_view what) {
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
    return fail(storage_errc::data_dir_locked, msg + " (is another hearth node using this data dir?)");
  if (s.IsCorruption()) return fail(storage_errc::storage_corruption, msg);
  if (s.IsBusy() || s.IsTryAgain()) return fail(storage_errc::storage_busy, msg);
  return fail(storage_errc::storage_error, msg);
}

}  // namespace

void write_batch::put(column c, std::string key, std::string value) {
  ops_.push_back({c, std::move(key), std::move(value)});
}

void write_batch::erase(column c, std::string key) { ops_.push_back({c, std::move(key), std::nullopt}); }

struct store::impl {
  std::string path;
  rocksdb::WriteOptions write_options;
  std::unique_ptr<rocksdb::DB> db;
  // handles[0] is "default" (unused by hearth); handles[1 + c] is column c.
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  rocksdb::ColumnFamilyHandle* handle(column c) const { return handles[1 + static_cast<int>(c)]; }

  ~impl() {
    if (!db) return;
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close();
  }
};

result<std::unique_ptr<store>> store::open(const options& opts) {
  std::error_code ec;
  std::filesystem::create_directories(opts.path, ec);
  if (ec) return fail(storage_errc::data_dir_unwritable, opts.path + ": " + ec.message());

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(opts.block_cache_mb << 20);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (auto name : names) families.emplace_back(std::string(name), cf_options);

  auto p = std::make_unique<impl>();
  p->path = opts.path;
  p->write_options.sync = opts.sync_writes;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(db_options, opts.path, families, &p->handles, &raw);
  if (!status.ok()) return from_status(status, "opening " + opts.path);
  p->db.reset(raw);
  return std::unique_ptr<store>(new store(std::move(p)));
}

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
store::~store() = default;

const std::string& store::path() const { return impl_->path; }

store::figures store::stats() const {
  figures f;
  auto& db = *impl_->db;
  auto add_int = [&](rocksdb::ColumnFamilyHandle* h, const std::string& name, std::uint64_t& into) {
    std::uint64_t v = 0;
    if (db.GetIntProperty(h, name, &v)) into += v;
  };
  for (auto* h : impl_->handles) {
    add_int(h, rocksdb::DB::Properties::kLiveSstFilesSize, f.table_bytes);
    add_int(h, rocksdb::DB::Properties::kCurSizeAllMemTables, f.memtable_bytes);
    std::map<std::string, std::string> cf;
    if (!db.GetMapProperty(h, rocksdb::DB::Properties::kCFStats, &cf)) continue;
    auto count = [&](const char* key) -> std::uint64_t {
      auto it = cf.find(key);
      return it == cf.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
    };
    f.stall_slowdowns += count("io_stalls.total_slowdown");
    f.stall_stops += count("io_stalls.total_stop");
  }
  std::uint64_t stopped = 0;
  f.writes_stopped = db.GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &stopped) && stopped != 0;
  return f;
}

result<std::optional<std::string>> store::get(column c, std::string_view key) const {
  std::string value;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), impl_->handle(c), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return from_status(s, "get");
  return std::optional<std::string>{std::move(value)};
}

result<void> store::put(column c, std::string_view key, std::string_view value) {
  auto s = impl_->db->Put(impl_->write_options, impl_->handle(c), rocksdb::Slice(key.data(), key.size()),
                          rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) return from_status(s, "put");
  return {};
}

result<void> store::write(const write_batch& batch, sync mode) {
  rocksdb::WriteBatch wb;
  for (const auto& op : batch.ops_) {
    auto s = op.value ? wb.Put(impl_->handle(op.col), op.key, *op.value) : wb.Delete(impl_->handle(op.col), op.key);
    if (!s.ok()) return from_status(s, "batch");
  }
  rocksdb::WriteOptions wo = impl_->write_options;
  if (mode == sync::no) wo.sync = false;
  auto s = impl_->db->Write(wo, &wb);
  if (!s.ok()) return from_status(s, "write");
  return {};
}

result<std::vector<key_value>> store::scan(column c, std::string_view prefix, std::string_view start_after,
                                           std::size_t limit) const {
  std::vector<key_value> out;
  // The iterator must die before the handles do (Debian's RocksDB asserts it).
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handle(c)));
  std::string_view from = start_after.empty() || start_after < prefix ? prefix : start_after;
  it->Seek(rocksdb::Slice(from.data(), from.size()));
  for (; it->Valid() && out.size() < limit; it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!start_after.empty() && key == start_after) continue;
    out.emplace_back(std::string(key), it->value().ToString());
  }
  if (!it->status().ok()) return from_status(it->status(), "scan");
  return out;
}

result<void> store::flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = impl_->db->Flush(fo, impl_->handles);
  if (!s.ok()) return from_status(s, "flush");
  s = impl_->db->FlushWAL(true);
  if (!s.ok()) return from_status(s, "flush wal");
  return {};
}

result<void> store::sync_log() {
  auto s = impl_->db->FlushWAL(true);
  if (!s.ok()) return from_status(s, "sync wal");
  return {};
}

}  // namespace hearth::storage
