// Task records in column "tasks" (Cap'n Proto StoredTask).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "messages/task.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

// Writes the record and, in the same batch, keeps the index of unfinished
// tasks (column meta, "running/<id>") in step with its state. The record of
// a task not yet finished need not be synced (store::sync::no): until it
// finishes, no one has its answer.
result<void> save_task(store& db, const task_record& t, store::sync mode = store::sync::yes);
// Tasks a previous run of the node left pending or running: marked failed
// with reason, all in one batch. Returns how many.
result<std::size_t> fail_interrupted_tasks(store& db, const std::string& reason, std::int64_t now_ms);

// Where a task whose stdout outgrew its record keeps it: one file per task
// in the node's output directory.
inline std::string task_output_dir(const std::string& data_dir) { return data_dir + "/outputs"; }
inline std::string task_output_file(const std::string& output_dir, const std::string& task_id) {
  return output_dir + "/" + task_id;
}
// A task's stdout, up to max bytes: from its record, or from its output file
// when it spilled there (empty when that file cannot be read).
std::string task_stdout(const task_record& t, const std::string& output_dir, std::size_t max = std::string::npos);

// One bounded step of the retention sweep: looks at up to limit tasks after
// cursor and deletes the finished ones that finished before cutoff_ms.
// Returns the cursor for the next step ("" once the column has been walked).
struct sweep_step {
  std::string next_cursor;
  std::size_t deleted = 0;
  std::vector<std::string> spilled;  // deleted tasks whose output files are the caller's to remove
};
result<sweep_step> sweep_finished_tasks(store& db, std::int64_t cutoff_ms, const std::string& cursor, std::size_t limit);
result<std::optional<task_record>> load_task(const store& db, const std::string& id);
result<std::vector<task_record>> list_tasks(const store& db, const std::string& start_after, std::size_t limit);

}  // namespace hearth::storage
