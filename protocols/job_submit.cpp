#include "protocols/job_submit.hpp"

#include <cctype>
#include <cmath>
#include <string>

#include "messages/errors.hpp"
#include "protocols/ssh_key.hpp"

namespace hearth::protocols {

using nlohmann::json;

bool read_memory_mb(const json& v, std::uint64_t& mb) {
  if (v.is_number_unsigned()) {
    mb = v.get<std::uint64_t>() >> 20;
    return true;
  }
  if (!v.is_string()) return false;
  std::string s = v.get<std::string>();
  if (s.empty() || s.size() > 20) return false;
  char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
  unsigned shift = 0;  // bytes
  if (unit == 'k' || unit == 'm' || unit == 'g' || unit == 't') {
    s.pop_back();
    shift = unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : 40;
  }
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 12) return false;
  std::uint64_t n = std::stoull(s);  // below 10^12: n << 20 cannot overflow
  mb = shift >= 20 ? n << (shift - 20) : n >> (20 - shift);
  return true;
}

result<job_spec> read_job_submit(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object()) return fail(http_errc::bad_request, "the body is a JSON object");
  auto field = [&j](const char* key) -> const json* {
    auto f = j.find(key);
    return f == j.end() || f->is_null() ? nullptr : &*f;
  };
  job_spec spec;
  auto key_line = j.find("ssh_pubkey");
  if (key_line == j.end() || !key_line->is_string())
    return fail(market_errc::bad_ssh_key, "ssh_pubkey (an OpenSSH public key line) is required");
  auto key = normalize_ssh_pubkey(key_line->get<std::string>());
  if (!key) return key.error();
  spec.ssh_pubkey = *key;
  if (auto* image = field("preferred_image")) {
    if (!image->is_string() || image->get<std::string>().empty() || image->get<std::string>().size() > 128)
      return fail(http_errc::bad_request, "preferred_image is an image name");
    spec.image = image->get<std::string>();
  }
  if (auto* cpus = field("cpus")) {
    if (!cpus->is_number() || !std::isfinite(cpus->get<double>()) || cpus->get<double>() < 0.01 ||
        cpus->get<double>() > 256)
      return fail(market_errc::bad_job_limit, "cpus is a number from 0.01 to 256");
    spec.cpus = cpus->get<double>();
  } else if (auto* quota = field("cpu_quota")) {
    // Docker's CFS quota in microseconds per 100 ms period: 50000 is half a core.
    if (!quota->is_number_unsigned() || quota->get<std::uint64_t>() < 1000 || quota->get<std::uint64_t>() > 25600000)
      return fail(market_errc::bad_job_limit, "cpu_quota is microseconds per 100 ms period, from 1000 to 25600000");
    spec.cpus = static_cast<double>(quota->get<std::uint64_t>()) / 100000.0;
  }
  const json* memory = j.contains("mem_limit") ? field("mem_limit") : field("memory");
  if (memory && (!read_memory_mb(*memory, spec.mem_mb) || spec.mem_mb < 16 || spec.mem_mb > (1ull << 20)))
    return fail(market_errc::bad_job_limit, "mem_limit is like \"512m\" or \"2g\", from 16m to 1t");
  if (auto* duration = field("duration_secs")) {
    if (!duration->is_number_unsigned() || duration->get<std::uint64_t>() < 1 ||
        duration->get<std::uint64_t>() > max_job_duration_secs)
      return fail(market_errc::bad_job_limit, "duration_secs is from 1 to " + std::to_string(max_job_duration_secs));
    spec.duration_secs = duration->get<std::uint64_t>();
  }
  return spec;
}

result<std::uint64_t> read_job_extend(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  auto duration = j.is_object() ? j.find("duration_secs") : j.end();
  if (duration == j.end() || !duration->is_number_unsigned() || duration->get<std::uint64_t>() < 1 ||
      duration->get<std::uint64_t>() > max_job_duration_secs)
    return fail(market_errc::bad_job_limit,
                "the body is {\"duration_secs\": N}, N from 1 to " + std::to_string(max_job_duration_secs));
  return duration->get<std::uint64_t>();
}

}  // namespace hearth::protocols
