// The couch's request bodies (the first byte picks which): never a throw,
// and what is accepted is within the ranges the API documents, so the
// couch registry and guest actors never see an impossible limit.
#include "protocols/couch_bodies.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cmath>

namespace {

using hearth::fuzz::expect;
namespace p = hearth::protocols;

void check_invite(std::string_view body) {
  auto r = p::read_invite_body(body);
  if (!r) return;
  expect(r->limits.max_duration_hours >= 1 && r->limits.max_duration_hours <= 8760);
  expect(r->expires_in_hours > 0 && r->expires_in_hours <= 8760);
  expect(std::isfinite(r->limits.max_cpu_cores) && r->limits.max_cpu_cores >= 0);
  expect(r->limits.max_memory_mb < (1ull << 53) && r->limits.max_disk_gb < (1ull << 53));
}

void check_redeem(std::string_view body) {
  auto r = p::read_redeem_body(body);
  if (r) expect(!r->name.empty());
}

void check_usage(std::string_view body) {
  auto r = p::read_usage_body(body);
  if (r) expect(std::isfinite(r->cpu_secs) && r->cpu_secs >= 0 && r->memory_mb < (1ull << 53));
}

void check_exec(std::string_view body) {
  auto r = p::read_exec_body(body);
  if (!r) return;
  const auto& e = r->request;
  expect(!e.argv.empty() && !e.argv[0].empty() && e.argv[0][0] == '/');
  expect(e.timeout_secs >= 1 && e.timeout_secs <= 3600);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto body = hearth::fuzz::text_of(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0: check_invite(body); break;
    case 1: check_redeem(body); break;
    case 2: p::read_activate_body(body); break;
    case 3: check_usage(body); break;
    default: check_exec(body); break;
  }
  return 0;
}
