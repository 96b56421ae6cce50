// Task records in column "tasks" (Cap'n Proto StoredTask).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "messages/task.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

result<void> save_task(store& db, const task_record& t);
result<std::optional<task_record>> load_task(const store& db, const std::string& id);
result<std::vector<task_record>> list_tasks(const store& db, const std::string& start_after, std::size_t limit);

}  // namespace hearth::storage
