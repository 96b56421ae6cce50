// What a chain node answers settlement's JSON-RPC calls with: the input,
// parsed as JSON, is the result of every call the chain client makes.
#include <nlohmann/json.hpp>

#include "payments/chain_client.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto answer = nlohmann::json::parse(hearth::fuzz::text_of(data, size), nullptr, false);
  if (answer.is_discarded()) return 0;
  hearth::payments::chain_client chain([&](const std::string&, const nlohmann::json&) -> hearth::result<nlohmann::json> {
    return answer;
  });
  hearth::crypto::address a{};
  hearth::crypto::hash256 tx{};
  (void)chain.chain_id();
  (void)chain.transaction_count(a, "latest");
  (void)chain.base_fee();
  (void)chain.max_priority_fee();
  (void)chain.balance(a);
  (void)chain.has_code(a);
  (void)chain.estimate_gas(a, a, {});
  (void)chain.call(a, {});
  (void)chain.send_raw({});
  (void)chain.receipt(tx);
  (void)chain.transaction_known(tx);
  return 0;
}
