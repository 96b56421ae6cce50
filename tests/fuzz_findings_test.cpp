// What fuzzing (tests/fuzz, `make fuzz`) found, kept: each input that
// crashed a target or broke its property, through the same function, with
// the answer it must now give.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "messages/errors.hpp"
#include "payments/buyer.hpp"
#include "payments/chain_client.hpp"
#include "protocols/cgi_head.hpp"
#include "protocols/ssh_key.hpp"
#include "storage/offer_codec.hpp"
#include "support/process.hpp"

using namespace hearth;

namespace {

std::string finding(const std::string& name) { return test::read_text(std::string(HEARTH_SOURCE_DIR) + "/tests/fuzz/regressions/" + name); }

}  // namespace

TEST_CASE("a 402 answer whose x402Version is not a number is refused, not thrown on", "[fuzz]") {
  auto input = finding("x402-version-not-a-number");
  REQUIRE(input.size() > 1);
  auto parsed = payments::parse_challenge("", input.substr(1));  // the target's first byte chose the body
  REQUIRE(!parsed);
  CHECK(parsed.error().code == payment_errc::no_requirements);
  CHECK(!payments::parse_challenge("", R"({"x402Version":3,"accepts":[]})"));
}

TEST_CASE("a CGI header with a control character (a bare CR) is refused", "[fuzz]") {
  for (const char* name : {"cgi-bare-cr-in-value", "cgi-control-in-name"}) {
    auto head = protocols::parse_cgi_head(finding(name));
    INFO(name);
    REQUIRE(!head);
    CHECK(head.error().code == task_errc::bad_cgi_output);
  }
  CHECK(!protocols::parse_cgi_head("X-A: a\rSet-Cookie: b\n\nbody"));
  CHECK(!protocols::parse_cgi_head("X A: b\n\n"));
  auto fine = protocols::parse_cgi_head("X-A: a\tb\r\n\r\nbody");
  REQUIRE(fine);
  CHECK(fine->headers.front().second == "a\tb");
}

TEST_CASE("an SSH key's comment cut at 128 characters keeps no trailing space", "[fuzz]") {
  auto once = protocols::normalize_ssh_pubkey(finding("ssh-comment-cut-at-space"));
  REQUIRE(once);
  CHECK(once->back() != ' ');
  auto twice = protocols::normalize_ssh_pubkey(*once);
  REQUIRE(twice);
  CHECK(*twice == *once);
}

TEST_CASE("an uploaded offer this node would read otherwise than signed is refused", "[fuzz]") {
  for (const char* name : {"offer-reads-otherwise", "offer-reads-otherwise-2"}) {
    auto bytes = finding(name);
    INFO(name);
    CHECK(storage::decode_canonical_offer(bytes));  // canonical Cap'n Proto, so a stored one still loads
    auto uploaded = storage::decode_uploaded_offer(bytes);
    REQUIRE(!uploaded);
    CHECK(uploaded.error().code == offer_errc::offer_not_canonical);
  }
}

TEST_CASE("a chain node's receipt with logs of the wrong types reads as a receipt without them", "[fuzz]") {
  auto answer = nlohmann::json::parse(
      R"({"status":"0x1","blockNumber":"0x2","gasUsed":"0x5208","logs":[1,"x",{"address":5,"topics":"t","data":7},
          {"address":"0x036CbD53842c5426634e7929541eC2318f3dCF7e","topics":{"a":1},"data":false}]})");
  payments::chain_client chain([&](const std::string&, const nlohmann::json&) -> result<nlohmann::json> { return answer; });
  auto receipt = chain.receipt(crypto::hash256{});
  REQUIRE(receipt);
  REQUIRE(*receipt);
  CHECK((*receipt)->status);
  REQUIRE((*receipt)->logs.size() == 1);
  CHECK((*receipt)->logs.front().topics.empty());
  CHECK((*receipt)->logs.front().data.empty());
}
