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
// tasks (column meta, "running/<id>") in step with its state.
result<void> save_task(store& db, const task_record& t);
// Tasks a previous run of the node left pending or running: marked failed
// with reason, all in one batch. Returns how many.
result<std::size_t> fail_interrupted_tasks(store& db, const std::string& reason, std::int64_t now_ms);
result<std::optional<task_record>> load_task(const store& db, const std::string& id);
result<std::vector<task_record>> list_tasks(const store& db, const std::string& start_after, std::size_t limit);

}  // namespace hearth::storage
