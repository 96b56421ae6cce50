// EIP-1559 transactions, RLP and the USDC calls, byte for byte against
// vectors made with viem 2.57 (signTransaction, encodeFunctionData).
#include <catch2/catch.hpp>

#include "crypto/keccak.hpp"
#include "crypto/secp256k1_key.hpp"
#include "payments/evm_tx.hpp"
#include "payments/rlp.hpp"
#include "payments/usdc_calls.hpp"

using namespace hearth;
using namespace hearth::payments;

namespace {

constexpr const char* buyer_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr const char* owner_key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

// The shared EIP-3009 vector of ../shared/reference/x402.md.
authorization vector_authorization() {
  authorization a;
  a.from = *crypto::parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  a.to = *crypto::parse_address("0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
  a.value = *crypto::parse_uint256("10000");
  a.valid_after = *crypto::parse_uint256("1740672089");
  a.valid_before = *crypto::parse_uint256("1740672154");
  a.nonce = *crypto::from_hex_fixed<32>("0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480");
  return a;
}

std::array<std::uint8_t, 65> vector_signature() {
  return *crypto::from_hex_fixed<65>(
      "0xdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e"
      "56c291f1000d6e78f082f1b");
}

std::string hex0x(const crypto::bytes& b) { return "0x" + crypto::to_hex(b); }

}  // namespace

// An ERC-6492 wrapping of the vector signature (factory 0x2096..., calldata
// 0xdeadbeef), as viem's encodeAbiParameters makes it, magic suffix included.
const char* wrapped_vector_signature =
    "0x000000000000000000000000209693bc6afc0c5328ba36faf03c514ef312287c00000000000000000000000000000000000000000000"
    "0000000000000000006000000000000000000000000000000000000000000000000000000000000000a000000000000000000000000000"
    "00000000000000000000000000000000000004deadbeef0000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000041dc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d1712"
    "39f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082f1b0000000000000000000000000000000000"
    "00000000000000000000000000006492649264926492649264926492649264926492649264926492649264926492";

TEST_CASE("the settling call picks the form by signature and unwraps ERC-6492", "[evm]") {
  auto sig = vector_signature();
  crypto::bytes eoa(sig.begin(), sig.end());
  CHECK(transfer_call(vector_authorization(), eoa) == transfer_with_authorization(vector_authorization(), sig));
  crypto::bytes wallet = eoa;
  wallet.insert(wallet.end(), 32, 0xab);  // 97 bytes: a wallet's own format
  auto long_form = transfer_call(vector_authorization(), wallet);
  CHECK(long_form == transfer_with_authorization_bytes(vector_authorization(), wallet));
  CHECK(long_form.size() == 4 + 8 * 32 + 128);

  auto wrapped = *crypto::from_hex(wrapped_vector_signature);
  REQUIRE(is_erc6492(wrapped));
  CHECK_FALSE(is_erc6492(eoa));
  auto parts = unwrap_erc6492(wrapped);
  REQUIRE(parts);
  CHECK(parts->factory.checksummed() == "0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
  CHECK(crypto::to_hex(parts->factory_calldata) == "deadbeef");
  CHECK(parts->inner == eoa);
  CHECK(transfer_call(vector_authorization(), wrapped) == transfer_with_authorization(vector_authorization(), sig));

  // Offsets or lengths pointing outside the bytes: malformed, never read past the end.
  auto bad = wrapped;
  bad[62] = 0x10;  // the calldata's offset, past the end
  CHECK_FALSE(unwrap_erc6492(bad));
  crypto::bytes truncated(wrapped.begin() + 100, wrapped.end());
  CHECK_FALSE(unwrap_erc6492(truncated));
  auto long_length = wrapped;
  long_length[0xa0 + 31] = 0x7f;  // the inner signature's length
  CHECK_FALSE(unwrap_erc6492(long_length));
}

TEST_CASE("isValidSignature calldata matches viem", "[evm]") {
  auto sig = vector_signature();
  auto hash = *crypto::from_hex_fixed<32>("0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480");
  CHECK(hex0x(is_valid_signature(hash, crypto::bytes(sig.begin(), sig.end()))) ==
        "0x1626ba7ef3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f134800000000000000000000000000000000000"
        "0000000000000000000000000000400000000000000000000000000000000000000000000000000000000000000041dc53a4a579de9893"
        "68a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f0"
        "82f1b00000000000000000000000000000000000000000000000000000000000000");
}

TEST_CASE("RLP encodes strings, minimal integers and lists", "[evm]") {
  CHECK(crypto::to_hex(rlp::encode_uint(std::uint64_t{0})) == "80");
  CHECK(crypto::to_hex(rlp::encode_uint(std::uint64_t{1})) == "01");
  CHECK(crypto::to_hex(rlp::encode_uint(std::uint64_t{127})) == "7f");
  CHECK(crypto::to_hex(rlp::encode_uint(std::uint64_t{128})) == "8180");
  CHECK(crypto::to_hex(rlp::encode_uint(std::uint64_t{1024})) == "820400");
  CHECK(crypto::to_hex(rlp::encode_list({})) == "c0");
  std::string dog = "dog", cat = "cat";
  auto s = [](const std::string& x) { return rlp::encode_string(reinterpret_cast<const std::uint8_t*>(x.data()), x.size()); };
  CHECK(crypto::to_hex(rlp::encode_list({s(cat), s(dog)})) == "c88363617483646f67");
  crypto::bytes long_string(56, 'a');
  auto enc = rlp::encode_string(long_string);
  CHECK(crypto::to_hex(enc.data(), 2) == "b838");
  CHECK(enc.size() == 58);
  crypto::bytes big(1024, 0x01);
  CHECK(crypto::to_hex(rlp::encode_string(big).data(), 3) == "b90400");
}

TEST_CASE("transferWithAuthorization calldata matches viem in both forms", "[evm]") {
  auto vrs = transfer_with_authorization(vector_authorization(), vector_signature());
  CHECK(vrs.size() == 292);
  CHECK(hex0x(vrs) ==
    "0xe3ee160e000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb9226600000000000000000000000020"
    "9693bc6afc0c5328ba36faf03c514ef312287c00000000000000000000000000000000000000000000000000000000000027"
    "100000000000000000000000000000000000000000000000000000000067c08c590000000000000000000000000000000000"
    "000000000000000000000067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480000000"
    "000000000000000000000000000000000000000000000000000000001bdc53a4a579de989368a0fae2ef2172ff2f474b4297"
    "013f865d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082f");
  auto sig = vector_signature();
  auto bytes_form = transfer_with_authorization_bytes(vector_authorization(), crypto::bytes(sig.begin(), sig.end()));
  CHECK(bytes_form.size() == 356);
  CHECK(hex0x(bytes_form) ==
    "0xcf092995000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb9226600000000000000000000000020"
    "9693bc6afc0c5328ba36faf03c514ef312287c00000000000000000000000000000000000000000000000000000000000027"
    "100000000000000000000000000000000000000000000000000000000067c08c590000000000000000000000000000000000"
    "000000000000000000000067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480000000"
    "00000000000000000000000000000000000000000000000000000000e0000000000000000000000000000000000000000000"
    "0000000000000000000041dc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1be"
    "bc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082f1b000000000000000000000000000000000000000000000000"
    "00000000000000");
  CHECK(crypto::to_hex(authorization_state(vector_authorization().from, vector_authorization().nonce).data(), 4) == "e94a0102");
  CHECK(crypto::to_hex(balance_of(vector_authorization().from).data(), 4) == "70a08231");
  CHECK(crypto::to_hex(authorization_used_topic()).rfind("98de5035", 0) == 0);
  CHECK(crypto::to_hex(transfer_topic()).rfind("ddf252ad", 0) == 0);
}

TEST_CASE("EIP-1559 transactions are signed as viem signs them", "[evm]") {
  struct vector {
    const char* key;
    std::uint64_t nonce;
    const char* raw;
    const char* hash;
  };
  const vector vectors[] = {
      {owner_key, 0,
    "0x02f9019383014a3480830f4240847744d6408301d4c094036cbd53842c5426634e7929541ec2318f3dcf7e80b90124e3ee"
    "160e000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266000000000000000000000000209693bc"
    "6afc0c5328ba36faf03c514ef312287c00000000000000000000000000000000000000000000000000000000000027100000"
    "000000000000000000000000000000000000000000000000000067c08c590000000000000000000000000000000000000000"
    "000000000000000067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480000000000000"
    "000000000000000000000000000000000000000000000000001bdc53a4a579de989368a0fae2ef2172ff2f474b4297013f86"
    "5d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082fc001a0b512cf055e5bc3"
    "836ceaa8dd1e1f9270d506238084959faddfa90d76676d9429a03bdc4ef8ee5191c85107b50586682ac5fb997708191aa9d0"
    "1c2be528c5ae0d65",
       "0xc315c07ec801380b892a5060d1abbfc98e59fd938f31452719ed6b0d51a9fea5"},
      {owner_key, 7,
    "0x02f9019383014a3407830f4240847744d6408301d4c094036cbd53842c5426634e7929541ec2318f3dcf7e80b90124e3ee"
    "160e000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266000000000000000000000000209693bc"
    "6afc0c5328ba36faf03c514ef312287c00000000000000000000000000000000000000000000000000000000000027100000"
    "000000000000000000000000000000000000000000000000000067c08c590000000000000000000000000000000000000000"
    "000000000000000067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480000000000000"
    "000000000000000000000000000000000000000000000000001bdc53a4a579de989368a0fae2ef2172ff2f474b4297013f86"
    "5d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082fc080a03babd268f8be4c"
    "977094d6cd0e6f2cc73c3f785ff3246611d679887011072755a00fcbfa6b7b221ed93c4f5d494065c503c9033b867bc279d7"
    "807d5e1bc624f8d7",
       "0xebe004a37ab6227bfeae7ee5c7cb617d9bb423994993b00b3f6ef267e61ecdd4"},
      {buyer_key, 300,
    "0x02f9019583014a3482012c830f4240847744d6408301d4c094036cbd53842c5426634e7929541ec2318f3dcf7e80b90124"
    "e3ee160e000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb922660000000000000000000000002096"
    "93bc6afc0c5328ba36faf03c514ef312287c0000000000000000000000000000000000000000000000000000000000002710"
    "0000000000000000000000000000000000000000000000000000000067c08c59000000000000000000000000000000000000"
    "0000000000000000000067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f1348000000000"
    "0000000000000000000000000000000000000000000000000000001bdc53a4a579de989368a0fae2ef2172ff2f474b429701"
    "3f865d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082fc080a08c7828cf20"
    "a543e2fa930a7ba3e924983cc3b8a7795d6406dd1d37a0cd64e867a0382a1b5f7a5e488364512646295ffdbd73f150b22db3"
    "4994aab7d2488d1d6076",
       "0x360778efedddcc350f24a937f7e7e2999642a8d2466c033bafaa39889278e63a"},
  };
  for (const auto& v : vectors) {
    eip1559_tx tx;
    tx.chain_id = 84532;
    tx.nonce = v.nonce;
    tx.max_priority_fee = *crypto::parse_uint256("1000000");
    tx.max_fee = *crypto::parse_uint256("2001000000");
    tx.gas_limit = 120000;
    tx.to = *crypto::parse_address("0x036CbD53842c5426634e7929541eC2318f3dCF7e");
    tx.data = transfer_with_authorization(vector_authorization(), vector_signature());
    auto key = crypto::private_key::from_hex(v.key);
    REQUIRE(key);
    auto signed_tx = sign(tx, *key);
    CHECK(hex0x(signed_tx.raw) == v.raw);
    CHECK(crypto::to_0x(signed_tx.hash) == v.hash);
  }
}
