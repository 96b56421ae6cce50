// A buyer's SSH public key line (job submissions): normalising is
// idempotent, and a normalised key is one line.
#include "protocols/ssh_key.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto key = hearth::protocols::normalize_ssh_pubkey(hearth::fuzz::text_of(data, size));
  if (!key) return 0;
  hearth::fuzz::expect(key->find_first_of("\r\n") == std::string::npos);
  auto again = hearth::protocols::normalize_ssh_pubkey(*key);
  hearth::fuzz::expect(again && *again == *key);
  return 0;
}
