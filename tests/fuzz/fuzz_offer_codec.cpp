// An offer's canonical Cap'n Proto bytes, as stored (decoded, nothing may
// crash) and as uploaded (accepted only when they are the canonical
// encoding of what they decode to).
#include "storage/offer_codec.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(hearth::fuzz::text_of(data, size));
  (void)hearth::storage::decode_canonical_offer(bytes);
  auto o = hearth::storage::decode_uploaded_offer(bytes);
  if (o) hearth::fuzz::expect(hearth::storage::canonical_offer(*o) == bytes);
  return 0;
}
