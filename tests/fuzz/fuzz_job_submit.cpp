// A buyer's job (POST /jobs/submit) and its extension: never a throw, and
// what is accepted is within the marketplace's limits with an SSH key line
// that is already in its normal form (normalizing it again changes nothing).
#include "protocols/job_submit.hpp"
#include "protocols/ssh_key.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using hearth::fuzz::expect;
  namespace p = hearth::protocols;
  auto body = hearth::fuzz::text_of(data, size);
  if (auto spec = p::read_job_submit(body)) {
    expect(std::isfinite(spec->cpus) && spec->cpus >= 0.01 && spec->cpus <= 256);
    expect(spec->mem_mb >= 16 && spec->mem_mb <= (1ull << 20));
    expect(spec->duration_secs >= 1 && spec->duration_secs <= p::max_job_duration_secs);
    expect(!spec->image.empty() && spec->image.size() <= 128);
    auto again = p::normalize_ssh_pubkey(spec->ssh_pubkey);
    expect(again && *again == spec->ssh_pubkey);
  }
  if (auto more = p::read_job_extend(body)) expect(*more >= 1 && *more <= p::max_job_duration_secs);
  return 0;
}
