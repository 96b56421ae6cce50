// hearth_crypto against published vectors and an independent Keccak (Crypto++).
#include <catch2/catch.hpp>
#include <cryptopp/keccak.h>
#include <nlohmann/json.hpp>

#include <random>

#include "crypto/address.hpp"
#include "crypto/eip712.hpp"
#include "crypto/keccak.hpp"
#include "crypto/key_derive.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "crypto/uint256.hpp"

using namespace hearth::crypto;
using nlohmann::json;

namespace {
const char* hardhat0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const char* hardhat1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

json usdc_typed_data(const std::string& name, std::uint64_t chain, const std::string& contract) {
  return {
      {"types",
       {{"TransferWithAuthorization",
         {{{"name", "from"}, {"type", "address"}},
          {{"name", "to"}, {"type", "address"}},
          {{"name", "value"}, {"type", "uint256"}},
          {{"name", "validAfter"}, {"type", "uint256"}},
          {{"name", "validBefore"}, {"type", "uint256"}},
          {{"name", "nonce"}, {"type", "bytes32"}}}}}},
      {"primaryType", "TransferWithAuthorization"},
      {"domain", {{"name", name}, {"version", "2"}, {"chainId", chain}, {"verifyingContract", contract}}},
      {"message",
       {{"from", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"},
        {"to", "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"},
        {"value", "10000"},
        {"validAfter", "1740672089"},
        {"validBefore", "1740672154"},
        {"nonce", "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480"}}}};
}

json mail_typed_data() {
  return json::parse(R"({
    "types": {
      "EIP712Domain": [{"name":"name","type":"string"},{"name":"version","type":"string"},
                       {"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
      "Person": [{"name":"name","type":"string"},{"name":"wallet","type":"address"}],
      "Mail": [{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]
    },
    "primaryType": "Mail",
    "domain": {"name":"Ether Mail","version":"1","chainId":1,
               "verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
    "message": {"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
                "to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
                "contents":"Hello, Bob!"}
  })");
}
}  // namespace

TEST_CASE("keccak256 published vectors", "[keccak]") {
  CHECK(to_0x(keccak256("")) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(to_0x(keccak256("abc")) == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST_CASE("keccak256 agrees with Crypto++ across lengths and split points", "[keccak]") {
  std::mt19937 rng(42);
  for (std::size_t len : {1u, 135u, 136u, 137u, 271u, 272u, 273u, 1000u, 4099u}) {
    std::string data(len, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    CryptoPP::Keccak_256 oracle;
    hash256 expected{};
    oracle.CalculateDigest(expected.data(), reinterpret_cast<const CryptoPP::byte*>(data.data()), data.size());
    CHECK(keccak256(data) == expected);
    for (std::size_t split : {std::size_t{0}, len / 3, len - 1}) {
      keccak256_hasher h;
      h.update(std::string_view(data).substr(0, split));
      h.update(std::string_view(data).substr(split));
      CHECK(h.finish() == expected);
    }
  }
}

TEST_CASE("sha256 of a string and of a file", "[sha256]") {
  CHECK(to_hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto missing = sha256_file("/nonexistent/file");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == hearth::sandbox_errc::file_unreadable);
}

TEST_CASE("hex decoding rejects malformed input", "[hex]") {
  CHECK(from_hex("0x0aFf").ok());
  CHECK_FALSE(from_hex("0x0").ok());
  CHECK_FALSE(from_hex("zz").ok());
  CHECK(from_hex_fixed<2>("0x0102").ok());
  CHECK_FALSE(from_hex_fixed<3>("0x0102").ok());
}

TEST_CASE("well-known keys give their addresses", "[secp256k1]") {
  auto k0 = private_key::from_hex(hardhat0);
  REQUIRE(k0);
  CHECK(k0->to_address().checksummed() == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  auto k1 = private_key::load(hardhat1);
  REQUIRE(k1);
  CHECK(k1->to_address().checksummed() == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  CHECK_FALSE(private_key::from_hex("0x" + std::string(64, '0')).ok());
  CHECK_FALSE(private_key::from_hex("0x" + std::string(64, 'f')).ok());  // above the curve order
  CHECK_FALSE(private_key::from_hex("0x1234").ok());
}

TEST_CASE("EIP-55 parsing", "[address]") {
  auto a = parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  REQUIRE(a);
  CHECK(parse_address("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").ok());
  CHECK(parse_address("0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266").ok());
  auto bad = parse_address("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == hearth::crypto_errc::bad_address_checksum);
  CHECK_FALSE(parse_address("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266").ok());
  CHECK_FALSE(parse_address("0x1234").ok());
}

TEST_CASE("EIP-712 example from the EIP (Mail)", "[eip712]") {
  json td = mail_typed_data();
  auto type = eip712::encode_type(td["types"], "Mail");
  REQUIRE(type);
  CHECK(*type == "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
  auto ds = eip712::domain_separator(td["types"], td["domain"]);
  REQUIRE(ds);
  CHECK(to_0x(*ds) == "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
  auto sh = eip712::hash_struct(td["types"], "Mail", td["message"]);
  REQUIRE(sh);
  CHECK(to_0x(*sh) == "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
  auto digest = eip712::digest(td);
  REQUIRE(digest);
  CHECK(to_0x(*digest) == "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");

  auto cow = private_key::from_secret(keccak256("cow"));
  REQUIRE(cow);
  CHECK(cow->to_address().checksummed() == "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
  auto sig = cow->sign_digest(*digest);
  CHECK(sig.v == 28);
  CHECK(to_0x(sig.r) == "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d");
  CHECK(to_0x(sig.s) == "0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562");
}

TEST_CASE("EIP-3009 TransferWithAuthorization vector (viem-identical)", "[eip712]") {
  json td = usdc_typed_data("USDC", 84532, "0x036CbD53842c5426634e7929541eC2318f3dCF7e");
  auto ds = eip712::domain_separator(td["types"], td["domain"]);  // domain type derived
  REQUIRE(ds);
  CHECK(to_0x(*ds) == "0x71f17a3b2ff373b803d70a5a07c046c1a2bc8e89c09ef722fcb047abe94c9818");
  auto sh = eip712::hash_struct(td["types"], "TransferWithAuthorization", td["message"]);
  REQUIRE(sh);
  CHECK(to_0x(*sh) == "0xb2438b1b8298f6129feb7c6a96cb5bee12d7e8ba27c7c27cde803071ebdc42e8");
  auto digest = eip712::digest(td);
  REQUIRE(digest);
  CHECK(to_0x(*digest) == "0x50708d3bf7216e1aeabe7bf22081b9f36c7c287530f92510318f13a03d89dc86");

  auto key = private_key::from_hex(hardhat0);
  REQUIRE(key);
  auto sig = key->sign_digest(*digest);
  CHECK(sig.to_0x() ==
        "0xdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e"
        "56c291f1000d6e78f082f1b");
  auto recovered = recover_address(*digest, sig);
  REQUIRE(recovered);
  CHECK(*recovered == key->to_address());

  json mainnet = usdc_typed_data("USD Coin", 1, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48");
  auto mds = eip712::domain_separator(mainnet["types"], mainnet["domain"]);
  REQUIRE(mds);
  CHECK(to_0x(*mds) == "0x06c37168a7db5138defc7866392bb87a741f9b3d104deb5094588ce041cae335");
}

TEST_CASE("EIP-712 rejects malformed typed data with a reason", "[eip712]") {
  json td = usdc_typed_data("USDC", 84532, "0x036CbD53842c5426634e7929541eC2318f3dCF7e");
  auto with = [&](const char* field, json value) {
    json copy = td;
    copy["message"][field] = value;
    return eip712::digest(copy);
  };
  CHECK_FALSE(with("value", "-1").ok());
  CHECK_FALSE(with("value", "1e3").ok());
  CHECK_FALSE(with("value", "0x1" + std::string(64, '0')).ok());  // 2^256
  CHECK_FALSE(with("nonce", "0x1234").ok());
  CHECK_FALSE(with("to", "0xnothex").ok());
  CHECK(with("value", 10000).ok());
  json missing = td;
  missing["message"].erase("nonce");
  auto r = eip712::digest(missing);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == hearth::crypto_errc::bad_typed_data);
  CHECK_FALSE(eip712::digest(json::array()).ok());
}

TEST_CASE("EIP-712 signed integers and arrays", "[eip712]") {
  json types = {{"T", {{{"name", "a"}, {"type", "int8"}}, {{"name", "b"}, {"type", "uint8[2]"}}}}};
  auto h = [&](json a, json b) { return eip712::hash_struct(types, "T", {{"a", a}, {"b", b}}); };
  CHECK(h(-128, json::array({1, 2})).ok());
  CHECK(h(127, json::array({255, 0})).ok());
  CHECK_FALSE(h(128, json::array({1, 2})).ok());
  CHECK_FALSE(h(-129, json::array({1, 2})).ok());
  CHECK_FALSE(h(1, json::array({256, 2})).ok());
  CHECK_FALSE(h(1, json::array({1, 2, 3})).ok());
  CHECK(*h(-1, json::array({1, 2})) != *h(1, json::array({1, 2})));
}

TEST_CASE("signatures: v normalisation and high-s rejection", "[secp256k1]") {
  auto key = private_key::from_hex(hardhat0);
  REQUIRE(key);
  hash256 digest = keccak256("message");
  auto sig = key->sign_digest(digest);
  auto bytes = sig.to_bytes();
  bytes[64] = static_cast<std::uint8_t>(sig.v - 27);  // 0/1 form
  auto parsed = signature::from_bytes(bytes.data(), bytes.size());
  REQUIRE(parsed);
  CHECK(parsed->v == sig.v);
  CHECK(*recover_address(digest, *parsed) == key->to_address());

  // s' = n - s is the malleable twin of the same signature.
  auto n = *parse_uint256("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  uint256 high{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[i] - sig.s[i] - borrow;
    borrow = d < 0;
    high[i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  std::copy(high.begin(), high.end(), bytes.begin() + 32);
  auto rejected = signature::from_bytes(bytes.data(), bytes.size());
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error().code == hearth::crypto_errc::high_s_signature);
  bytes[64] = 29;
  CHECK_FALSE(signature::from_bytes(bytes.data(), bytes.size()).ok());
  CHECK_FALSE(signature::from_bytes(bytes.data(), 64).ok());
}

TEST_CASE("uint256 decimal round trip", "[uint256]") {
  const char* max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  auto v = parse_uint256(max);
  REQUIRE(v);
  CHECK(to_decimal(*v) == max);
  CHECK(bit_length(*v) == 256);
  CHECK_FALSE(parse_uint256("115792089237316195423570985008687907853269984665640564039457584007913129639936").ok());
  CHECK(to_decimal(*parse_uint256("0")) == "0");
  CHECK(to_decimal(*parse_uint256("0x10")) == "16");
  CHECK_FALSE(parse_uint256("").ok());
  CHECK_FALSE(parse_uint256(" 1").ok());
}

TEST_CASE("key derivation is deterministic and namespaced", "[derive]") {
  auto parent = private_key::from_hex(hardhat0);
  REQUIRE(parent);
  auto a = derive_from_key(*parent, "payments");
  auto b = derive_from_key(*parent, "payments");
  auto c = derive_from_key(*parent, "other");
  REQUIRE((a && b && c));
  CHECK(a->secret() == b->secret());
  CHECK(a->secret() != c->secret());
  // os402's rule: keccak256(key || namespace)
  auto raw = *from_hex(hardhat0);
  std::string material(raw.begin(), raw.end());
  CHECK(a->secret() == keccak256(material + "payments"));

  auto p1 = derive_from_passphrase("correct horse battery staple", "hearth");
  auto p2 = derive_from_passphrase("correct horse battery staple", "hearth");
  REQUIRE((p1 && p2));
  CHECK(p1->secret() == p2->secret());
  CHECK_FALSE(derive_from_passphrase("", "hearth").ok());
}

#include "crypto/random.hpp"
#include "support/failing_rng.hpp"

TEST_CASE("random bytes are drawn or the draw fails: a failed generator's buffer is never used", "[crypto][rng]") {
  auto a = hearth::crypto::random_hex(16), b = hearth::crypto::random_hex(16);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  hearth::test::failing_rng broken;
  auto failed = hearth::crypto::random_hex(16);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == hearth::crypto_errc::rng_failure);
  unsigned char buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  CHECK_FALSE(hearth::crypto::random_fill(buf, sizeof buf));
  for (unsigned char c : buf) CHECK(c == 0);  // wiped, not left half-random
}
