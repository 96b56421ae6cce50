// x402 as a node and as a buyer meet it from strangers: a payment header
// (v1 X-PAYMENT and v2 PAYMENT-SIGNATURE share the decoder), a 402's
// challenge (header and body) and an ERC-6492 wrapped signature. The
// input's first byte picks which; nothing may crash or read out of bounds.
#include "payments/buyer.hpp"
#include "payments/exact_evm.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto rest = hearth::fuzz::text_of(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto p = hearth::payments::decode_payment(rest);
      if (p) hearth::fuzz::expect(!p->json.empty());
      break;
    }
    case 1:
      (void)hearth::payments::parse_challenge(rest, "");
      (void)hearth::payments::challenge_error(rest, "");
      break;
    case 2:
      (void)hearth::payments::parse_challenge("", rest);
      (void)hearth::payments::challenge_error("", rest);
      break;
    default:
      (void)hearth::payments::unwrap_erc6492(hearth::crypto::bytes(data + 1, data + size));
  }
  return 0;
}
