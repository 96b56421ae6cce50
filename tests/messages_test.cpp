// The node's error codes (messages/errors.hpp): unique names, one status
// each, carried across actors as caf::error and back, and the README's
// table is the one the code makes.
#include <catch2/catch.hpp>

#include <caf/sec.hpp>

#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "messages/errors.hpp"
#include "messages/failure_error.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor_system_config.hpp>

using namespace hearth;

TEST_CASE("every error code has one unique name, a status and a meaning", "[errors]") {
  std::set<std::string> names;
  auto codes = all_error_codes();
  REQUIRE(codes.size() > 100);
  for (auto c : codes) {
    std::string name(code_name(c));
    INFO(name);
    CHECK(names.insert(name).second);
    CHECK(parse_error_code(name) == c);
    CHECK(http_status(c) >= 400);
    CHECK(http_status(c) <= 599);
    CHECK_FALSE(code_meaning(c).empty());
    CHECK(module_name(c.module) != "unknown");
  }
  CHECK_FALSE(parse_error_code("no_such_code_at_all"));
  CHECK(http_status(offer_errc::offer_not_found) == 404);
  CHECK(jsonrpc_code(offer_errc::offer_not_found) == -32004);
  CHECK(jsonrpc_code(payment_errc::payment_invalid) == -32002);
  CHECK(jsonrpc_code(http_errc::bad_request) == -32602);
  CHECK(jsonrpc_code(storage_errc::storage_error) == -32603);
}

TEST_CASE("a failure crosses an actor boundary as caf::error and comes back whole", "[errors]") {
  for (auto c : all_error_codes()) {
    failure f{c, "because " + std::string(code_name(c))};
    auto back = to_failure(to_error(f), "");
    CHECK(back.code == c);
    CHECK(back.message == f.message);
  }
  auto other = to_failure(caf::make_error(caf::sec::request_timeout), "request_timeout");
  CHECK(other.code == http_errc::node_unavailable);
  CHECK(other.message.find("request_timeout") != std::string::npos);
}

TEST_CASE("the README's error table is the one the code makes", "[errors]") {
  std::ifstream in(HEARTH_SOURCE_DIR "/README.md");
  std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string begin = "<!-- error codes: begin (hearth errors) -->\n", end = "<!-- error codes: end -->";
  auto b = readme.find(begin), e = readme.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  std::string table = readme.substr(b + begin.size(), e - b - begin.size());
  CHECK(table == error_table_markdown());
}

TEST_CASE("the type-ID block names every message type once, in one place", "[messages]") {
  auto names = message_type_names();
  REQUIRE(names.size() >= 28);
  std::set<std::string> unique(names.begin(), names.end());
  CHECK(unique.size() == names.size());
  CHECK(caf::type_id<hearth::node_meta>::value == caf::first_custom_type_id);
  CHECK(std::string(caf::type_name<hearth::task_record>::value) == "hearth::task_record");
  caf::actor_system_config cfg;
  register_message_types(cfg);  // adding each once: a duplicate name would throw here
}
