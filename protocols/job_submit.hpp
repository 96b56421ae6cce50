// A buyer's job as POST /jobs/submit sends it (the compute marketplace's
// body: ssh_pubkey, preferred_image, cpus or Docker's cpu_quota, mem_limit,
// duration_secs) and its extension, read into values or refused with the
// field to fix.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

#include "messages/market.hpp"
#include "messages/result.hpp"

namespace hearth::protocols {

inline constexpr std::uint64_t max_job_duration_secs = 30ull * 86400;

// "512m", "1g", "1024k", "268435456" (bytes) or a number of bytes -> MiB.
bool read_memory_mb(const nlohmann::json& v, std::uint64_t& mb);

result<job_spec> read_job_submit(std::string_view body);

// POST /jobs/{id}/extend: {"duration_secs": N}, the seconds to add.
result<std::uint64_t> read_job_extend(std::string_view body);

}  // namespace hearth::protocols
