// The seller WebSocket's messages, both directions, and its relay frames:
// a message that decodes encodes to text that decodes to the same message.
#include "protocols/market_wire.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

template <class Decode>
void round_trip(std::string_view text, Decode decode) {
  auto m = decode(text);
  if (!m) return;
  auto encoded = hearth::protocols::encode(*m);
  auto again = decode(encoded);
  hearth::fuzz::expect(static_cast<bool>(again));
  hearth::fuzz::expect(hearth::protocols::encode(*again) == encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = hearth::fuzz::text_of(data, size);
  round_trip(text, [](std::string_view t) { return hearth::protocols::decode_hub_message(t); });
  round_trip(text, [](std::string_view t) { return hearth::protocols::decode_seller_message(t); });
  std::uint32_t stream = 0;
  std::string_view payload;
  if (hearth::protocols::parse_relay_frame(text, stream, payload)) {
    hearth::fuzz::expect(payload.size() <= text.size());
    hearth::fuzz::expect(hearth::protocols::relay_frame(stream, payload) == text);
  }
  return 0;
}
