// Marketplace jobs on their hub (column "jobs"): "j/<id>" records, and, in
// the same batch as every change, the indexes a hub asks by: "s/<state>/<id>"
// (GET /jobs?state=), "l/<seller address>/<id>" (a seller's jobs when it
// goes away or comes back) and "e/<expiry ms>/<id>" for jobs that still
// hold an environment (expiry survives a hub restart).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/market.hpp"
#include "messages/result.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

// Writes after, replacing before's index entries (before.id empty: a new job).
result<void> save_job(store& db, const job_record& before, const job_record& after);
result<std::optional<job_record>> load_job(const store& db, const std::string& id);
// By id after after_id; with a state, only jobs in it.
result<std::vector<job_record>> list_jobs(const store& db, std::optional<job_state> state, const std::string& after_id,
                                          std::size_t limit);
// Ids of the jobs ever placed on seller (an address), at most limit.
result<std::vector<std::string>> jobs_of_seller(const store& db, const std::string& seller, std::size_t limit);
// Ids of live jobs whose expiry is at or before now_ms, earliest first.
result<std::vector<std::string>> due_jobs(const store& db, std::int64_t now_ms, std::size_t limit);
// Removes a job and its indexes (retention).
result<void> remove_job(store& db, const job_record& job);
// The oldest jobs in state (ids are time-ordered), at most limit.
result<std::vector<std::string>> oldest_in_state(const store& db, job_state state, std::size_t limit);

}  // namespace hearth::storage
