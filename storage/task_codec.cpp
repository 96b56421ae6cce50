#include "storage/task_codec.hpp"

#include <algorithm>
#include <cstdio>

#include "messages/clock.hpp"
#include "messages/records.capnp.h"
#include "storage/capnp_codec.hpp"

namespace hearth::storage {
namespace {

const std::string running_prefix = "running/";


result<task_record> decode_task(const std::string& raw) {
  return decode_message<StoredTask>(raw, [](StoredTask::Reader r) {
    task_record t;
    t.id = r.getId().cStr();
    t.offer_hash = r.getOfferHash().cStr();
    t.input_hash = r.getInputHash().cStr();
    t.state = static_cast<task_state>(r.getState());
    t.ending = r.getEnding();
    t.exit_code = r.getExitCode();
    t.signal = r.getSignal();
    t.cpu_secs = r.getCpuSecs();
    t.wall_secs = r.getWallSecs();
    t.peak_memory_bytes = r.getPeakMemoryBytes();
    t.created_at_ms = r.getCreatedAtMs();
    t.finished_at_ms = r.getFinishedAtMs();
    t.stdout_data = bytes_of(r.getStdout());
    t.stdout_size = r.getStdoutSize();
    t.stdout_spilled = r.getStdoutSpilled();
    if (!t.stdout_spilled && t.stdout_size < t.stdout_data.size()) t.stdout_size = t.stdout_data.size();  // older records
    t.stderr_data = bytes_of(r.getStderr());
    t.output_signature = bytes_of(r.getOutputSignature());
    t.error = r.getError().cStr();
    t.error_code = r.getErrorCode().cStr();
    t.read_token_hash = r.getReadTokenHash().cStr();
    t.retain_until_ms = r.getRetainUntilMs();
    return t;
  });
}

}  // namespace

result<void> save_task(store& db, const task_record& t, store::sync mode) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<StoredTask>();
  b.setId(t.id);
  b.setOfferHash(t.offer_hash);
  b.setInputHash(t.input_hash);
  b.setState(static_cast<TaskState>(t.state));
  b.setEnding(t.ending);
  b.setExitCode(t.exit_code);
  b.setSignal(t.signal);
  b.setCpuSecs(t.cpu_secs);
  b.setWallSecs(t.wall_secs);
  b.setPeakMemoryBytes(t.peak_memory_bytes);
  b.setCreatedAtMs(t.created_at_ms);
  b.setFinishedAtMs(t.finished_at_ms);
  b.setStdout(data_of(t.stdout_data));
  b.setStdoutSize(t.stdout_size);
  b.setStdoutSpilled(t.stdout_spilled);
  b.setStderr(data_of(t.stderr_data));
  b.setOutputSignature(data_of(t.output_signature));
  b.setError(t.error);
  b.setErrorCode(t.error_code);
  b.setReadTokenHash(t.read_token_hash);
  b.setRetainUntilMs(t.retain_until_ms);
  write_batch batch;
  batch.put(column::tasks, t.id, encode_message(message));
  if (t.state == task_state::pending || t.state == task_state::running) batch.put(column::meta, running_prefix + t.id, "");
  else batch.erase(column::meta, running_prefix + t.id);
  return db.write(batch, mode);
}

namespace {
// Past its offer's retention (--retain) a task is gone, swept or not.
bool retention_lapsed(const task_record& t) { return t.retain_until_ms && t.retain_until_ms < unix_ms(); }
}  // namespace

result<sweep_step> sweep_finished_tasks(store& db, std::int64_t cutoff_ms, const std::string& cursor, std::size_t limit) {
  auto page = list_tasks(db, cursor, limit);
  if (!page) return page.error();
  sweep_step step;
  write_batch batch;
  for (const auto& t : *page) {
    bool finished = t.state == task_state::completed || t.state == task_state::failed;
    if (finished && (t.finished_at_ms < cutoff_ms || retention_lapsed(t))) {
      batch.erase(column::tasks, t.id);
      ++step.deleted;
      if (t.stdout_spilled) step.spilled.push_back(t.id);
    }
  }
  if (!batch.empty())
    if (auto ok = db.write(batch); !ok) return ok.error();
  step.next_cursor = page->size() == limit ? page->back().id : "";
  return step;
}

result<std::size_t> fail_interrupted_tasks(store& db, const std::string& reason, std::int64_t now_ms) {
  std::size_t count = 0;
  for (;;) {
    auto markers = db.scan(column::meta, running_prefix, "", 256);
    if (!markers) return markers.error();
    if (markers->empty()) return count;
    for (auto& [key, unused] : *markers) {
      std::string id = key.substr(running_prefix.size());
      auto t = load_task(db, id);
      if (!t) return t.error();
      task_record record = *t ? std::move(**t) : task_record{};
      record.id = id;
      record.state = task_state::failed;
      record.error = reason;
      record.finished_at_ms = now_ms;
      if (auto saved = save_task(db, record); !saved) return saved.error();  // also drops the marker
      ++count;
    }
  }
}

result<std::optional<task_record>> load_task(const store& db, const std::string& id) {
  auto t = load_record<task_record>(db, column::tasks, id, [](const std::string&, const std::string& raw) { return decode_task(raw); });
  if (t && *t && retention_lapsed(**t)) return std::optional<task_record>{};
  return t;
}

result<std::vector<task_record>> list_tasks(const store& db, const std::string& start_after, std::size_t limit) {
  return list_records<task_record>(db, column::tasks, start_after, limit,
                                   [](const std::string&, const std::string& raw) { return decode_task(raw); });
}

std::string task_stdout(const task_record& t, const std::string& output_dir, std::size_t max) {
  if (!t.stdout_spilled) return t.stdout_data.substr(0, max);
  std::string out;
  std::FILE* f = std::fopen(task_output_file(output_dir, t.id).c_str(), "rb");
  if (!f) return out;
  char buf[64 * 1024];
  while (out.size() < max) {
    std::size_t n = std::fread(buf, 1, std::min(sizeof buf, max - out.size()), f);
    if (n == 0) break;
    out.append(buf, n);
  }
  std::fclose(f);
  return out;
}

}  // namespace hearth::storage
