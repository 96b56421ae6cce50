// The marketplace's plain parsers against hostile input: the seller
// WebSocket's messages (round trips, versions, types, bounds, fields of the
// wrong kind), relay frames, and SSH public key lines (options, second
// lines, a blob of another type, junk); plus the job records' storage with
// their indexes (a state change moves the index entries in one batch);
// the request bodies of jobs, the couch and MCP, read where they arrive.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "crypto/base64.hpp"
#include "protocols/couch_bodies.hpp"
#include "protocols/job_submit.hpp"
#include "protocols/market_wire.hpp"
#include "protocols/mcp_requests.hpp"
#include "protocols/ssh_key.hpp"
#include "storage/job_codec.hpp"
#include "support/process.hpp"

using namespace hearth;
using nlohmann::json;

namespace {

// An ed25519 key line whose blob names its type, as ssh-keygen writes them.
std::string key_line(const std::string& type = "ssh-ed25519") {
  std::string blob;
  blob.push_back(0);
  blob.push_back(0);
  blob.push_back(0);
  blob.push_back(static_cast<char>(type.size()));
  blob += type;
  blob += std::string(36, 'k');
  return type + " " + crypto::base64_encode(blob) + " buyer@laptop";
}

error_code code_of(const failure& f) { return f.code; }

}  // namespace

TEST_CASE("seller messages round-trip and hostile ones are refused with bad_wire_message", "[protocols]") {
  seller_hello h;
  h.name = "alpha";
  h.address = "0x" + std::string(40, 'a');
  h.signature = "0x" + std::string(130, '1');
  h.images = {"host", "debian"};
  h.capacity = {4, 8192, 10};
  h.price_per_hour = 100000;
  auto back = protocols::decode_seller_message(protocols::encode(protocols::seller_message{h}));
  REQUIRE(back);
  auto& got = std::get<seller_hello>(*back);
  CHECK(got.images == h.images);
  CHECK(got.capacity.jobs == 10);
  CHECK(got.price_per_hour == 100000);

  seller_heartbeat hb{7, {1.5, 1024, 3}, {{"0a1b", job_state::running, "", {"127.0.0.1", 2222, "guest", "ssh-ed25519 AAAA"}, 5}}};
  auto beat = protocols::decode_seller_message(protocols::encode(protocols::seller_message{hb}));
  REQUIRE(beat);
  CHECK(std::get<seller_heartbeat>(*beat).jobs.at(0).access.ssh_port == 2222);

  auto refused = [](const std::string& text) {
    auto m = protocols::decode_seller_message(text);
    INFO(text.substr(0, 200));
    REQUIRE(!m);
    CHECK(code_of(m.error()) == market_errc::bad_wire_message);
  };
  refused("");
  refused("[]");
  refused("{\"type\":\"hello\"}");                   // no version
  refused("{\"v\":2,\"type\":\"heartbeat\"}");       // another version
  refused("{\"v\":1,\"type\":\"format-disk\"}");     // unknown type
  refused("{\"v\":1,\"type\":\"heartbeat\",\"seq\":-1,\"free\":{\"cpus\":1,\"mem_mb\":1,\"jobs\":1},\"jobs\":[]}");
  refused("{\"v\":1,\"type\":\"heartbeat\",\"seq\":1,\"free\":{\"cpus\":\"many\",\"mem_mb\":1,\"jobs\":1},\"jobs\":[]}");
  refused("{\"v\":1,\"type\":\"report\",\"job_id\":\"../../etc\",\"state\":\"running\"}");
  refused("{\"v\":1,\"type\":\"report\",\"job_id\":\"0a\",\"state\":\"running\"}");  // running without access
  refused("{\"v\":1,\"type\":\"report\",\"job_id\":\"0a\",\"state\":\"queued\"}");   // not a seller's word
  json big = {{"v", 1}, {"type", "hello"}, {"name", std::string(70 * 1024, 'x')}};
  refused(big.dump());
  json bad_name = json::parse(protocols::encode(protocols::seller_message{h}));
  bad_name["name"] = "al pha;rm";
  refused(bad_name.dump());
  json many = json::parse(protocols::encode(protocols::seller_message{h}));
  many["images"] = json::array();
  for (int i = 0; i < 65; ++i) many["images"].push_back("i" + std::to_string(i));
  refused(many.dump());
}

TEST_CASE("hub messages round-trip, and relay frames carry their stream", "[protocols]") {
  job_assignment a{"0a1b2c", {key_line(), "host", 0.5, 256, 600}, 1234};
  auto back = protocols::decode_hub_message(protocols::encode(protocols::hub_message{a}));
  REQUIRE(back);
  CHECK(std::get<job_assignment>(*back).spec.mem_mb == 256);
  CHECK(!protocols::decode_hub_message("{\"v\":1,\"type\":\"cancel\",\"job_id\":\"x/y\"}"));
  auto open = protocols::decode_hub_message(protocols::encode(protocols::hub_message{protocols::wire_open{7, "0a"}}));
  REQUIRE(open);
  CHECK(std::get<protocols::wire_open>(*open).stream == 7);

  std::string frame = protocols::relay_frame(0x01020304, "bytes");
  std::uint32_t stream = 0;
  std::string_view data;
  REQUIRE(protocols::parse_relay_frame(frame, stream, data));
  CHECK(stream == 0x01020304);
  CHECK(data == "bytes");
  CHECK(!protocols::parse_relay_frame("abc", stream, data));
  CHECK(!protocols::parse_relay_frame(std::string(4 + protocols::max_relay_chunk + 1, 'x'), stream, data));
}

TEST_CASE("an SSH public key is one plain key line of a known type", "[protocols]") {
  auto ok = protocols::normalize_ssh_pubkey(key_line() + "\n");
  REQUIRE(ok);
  CHECK(ok->find("buyer@laptop") != std::string::npos);
  CHECK(ok->back() != '\n');
  auto bad = [](const std::string& line) {
    auto k = protocols::normalize_ssh_pubkey(line);
    INFO(line.substr(0, 120));
    REQUIRE(!k);
    CHECK(code_of(k.error()) == market_errc::bad_ssh_key);
  };
  bad("");
  bad("ssh-ed25519");
  bad("command=\"/bin/sh\" " + key_line());          // options are the seller's to write
  bad(key_line() + "\n" + key_line());                // two keys
  bad("ssh-ed25519 !!!notbase64!!!");
  bad("ssh-rsa " + key_line().substr(12));            // the blob names ed25519
  bad("ssh-ed25519 " + crypto::base64_encode("tiny"));
  bad(std::string(20000, 'a'));
  // A comment with quotes or controls is cut to what is plain.
  auto odd = protocols::normalize_ssh_pubkey(key_line() + " \"quoted\"\x01");
  REQUIRE(odd);
  CHECK(odd->find('"') == std::string::npos);
}

TEST_CASE("a job's record and its indexes change in one batch", "[protocols][storage]") {
  test::temp_dir dir;
  storage::options o;
  o.path = dir.file("db");
  auto db = storage::store::open(o);
  REQUIRE(db);
  job_record j;
  j.id = "0000000000010000aaaa";
  j.seller = "0xseller";
  j.state = job_state::queued;
  REQUIRE(storage::save_job(**db, job_record{}, j));
  job_record running = j;
  running.state = job_state::running;
  running.expires_at_ms = 5000;
  running.history.push_back({job_state::running, "the seller runs it", 10});
  REQUIRE(storage::save_job(**db, j, running));
  auto queued = storage::list_jobs(**db, job_state::queued, "", 10);
  auto live = storage::list_jobs(**db, job_state::running, "", 10);
  REQUIRE(queued);
  REQUIRE(live);
  CHECK(queued->empty());
  REQUIRE(live->size() == 1);
  CHECK(live->at(0).history.back().reason == "the seller runs it");
  CHECK(storage::jobs_of_seller(**db, "0xseller", 10)->size() == 1);
  CHECK(storage::due_jobs(**db, 4999, 10)->empty());
  CHECK(storage::due_jobs(**db, 5000, 10)->size() == 1);
  job_record ended = running;
  ended.state = job_state::expired;
  REQUIRE(storage::save_job(**db, running, ended));
  CHECK(storage::due_jobs(**db, 10000, 10)->empty());  // an ended job holds no environment
  REQUIRE(storage::remove_job(**db, ended));
  CHECK(!*storage::load_job(**db, ended.id));
  CHECK(storage::jobs_of_seller(**db, "0xseller", 10)->empty());
}

TEST_CASE("a job submit is read with Docker's field names and refused outside the limits", "[protocols]") {
  std::string key = key_line();
  auto spec = protocols::read_job_submit(json{{"ssh_pubkey", key}, {"cpu_quota", 50000}, {"memory", "2g"}}.dump());
  REQUIRE(spec);
  CHECK(spec->cpus == 0.5);
  CHECK(spec->mem_mb == 2048);
  CHECK(spec->duration_secs == 600);
  auto code_of = [&](json body) {
    body["ssh_pubkey"] = key;
    auto r = protocols::read_job_submit(body.dump());
    return r ? std::string("accepted") : std::string(code_name(r.error().code));
  };
  CHECK(code_of({{"mem_limit", "512m"}, {"duration_secs", 60}}) == "accepted");
  // 999999999999 TiB overflowed 64 bits and wrapped to a size in range.
  CHECK(code_of({{"mem_limit", "999999999999t"}}) == "bad_job_limit");
  CHECK(code_of({{"mem_limit", "17592186044416t"}}) == "bad_job_limit");
  CHECK(code_of({{"cpus", 1e300}}) == "bad_job_limit");
  CHECK(code_of({{"duration_secs", -1}}) == "bad_job_limit");
  CHECK(code_of({{"preferred_image", 5}}) == "bad_request");
  CHECK(!protocols::read_job_submit("[1]"));
  CHECK(code_name(protocols::read_job_submit("{}").error().code) == "bad_ssh_key");
  CHECK(*protocols::read_job_extend(R"({"duration_secs":30})") == 30);
  CHECK(!protocols::read_job_extend(R"({"duration_secs":"30"})"));
  CHECK(!protocols::read_job_extend("30"));
}

TEST_CASE("couch bodies: numbers beyond a counter's range are refused, not converted", "[protocols][couch]") {
  // A double above 2^64 converted to an unsigned integer is undefined behaviour.
  CHECK(!protocols::read_invite_body(R"({"resourceLimits":{"maxMemoryMB":1e300}})"));
  CHECK(!protocols::read_invite_body(R"({"resourceLimits":{"maxDurationHours":1e30}})"));
  CHECK(!protocols::read_usage_body(R"({"tokensIn":1e20})"));
  CHECK(!protocols::read_usage_body(R"({"cpuSeconds":-0.5})"));
  auto invite = protocols::read_invite_body("");
  REQUIRE(invite);
  CHECK(invite->limits.max_duration_hours == 24);
  auto limits = protocols::read_invite_body(R"({"resourceLimits":{"maxMemoryMB":256.9,"maxDurationHours":2},"expiresInHours":0.5})");
  REQUIRE(limits);
  CHECK(limits->limits.max_memory_mb == 256);
  CHECK(limits->expires_in_hours == 0.5);
  CHECK(!protocols::read_invite_body(R"({"expiresInHours":0})"));
  CHECK(!protocols::read_invite_body(R"({"permissions":{"canAccessInternet":1}})"));
  CHECK(protocols::read_invite_body("{").error().message == "the body is not JSON");

  auto redeem = protocols::read_redeem_body(R"({"code":"inv_x","name":"g","publicKey":null})");
  REQUIRE(redeem);
  CHECK(redeem->public_key.empty());
  CHECK(!protocols::read_redeem_body(R"({"code":"inv_x","name":""})"));
  CHECK(!protocols::read_redeem_body(R"({"code":1,"name":"g"})"));
  CHECK(*protocols::read_activate_body(R"({"agentEndpoint":7})") == "");

  auto exec = protocols::read_exec_body(R"({"argv":["/bin/echo","a"],"stream":true,"timeoutSecs":5})");
  REQUIRE(exec);
  CHECK(exec->stream);
  CHECK(exec->request.timeout_secs == 5);
  CHECK(!protocols::read_exec_body(R"({"argv":["echo"]})"));
  CHECK(!protocols::read_exec_body(R"({"command":"true","stream":"yes"})"));
  CHECK(!protocols::read_exec_body(R"({"command":"true","timeoutSecs":0})"));
}

TEST_CASE("a terminal's control frame is a resize within 1 to 1000, anything else is ignored", "[protocols][couch]") {
  auto size = protocols::read_terminal_resize(R"({"type":"resize","cols":120,"rows":40})");
  REQUIRE(size);
  CHECK(size->cols == 120);
  CHECK(size->rows == 40);
  // {"type": 5} made nlohmann's value() throw inside the WebSocket handler.
  CHECK(!protocols::read_terminal_resize(R"({"type":5,"cols":1,"rows":1})"));
  CHECK(!protocols::read_terminal_resize(R"({"type":"resize","cols":1001,"rows":1})"));
  CHECK(!protocols::read_terminal_resize(R"({"type":"resize","cols":-3,"rows":1})"));
  CHECK(!protocols::read_terminal_resize("not json"));
}

TEST_CASE("JSON-RPC requests: the framing the MCP server and the gateway share", "[protocols][mcp]") {
  auto code_of = [](const std::string& text) {
    auto r = mcp::read_rpc_request(text);
    auto* refused = std::get_if<mcp::rpc_refusal>(&r);
    return refused ? refused->code : 0;
  };
  CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"method":"ping"})") == 0);
  CHECK(code_of("{") == mcp::parse_error);
  CHECK(code_of(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])") == mcp::invalid_request);
  CHECK(code_of(R"({"jsonrpc":2,"id":1,"method":"ping"})") == mcp::invalid_request);
  CHECK(code_of(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})") == mcp::invalid_request);
  CHECK(code_of(R"({"jsonrpc":"2.0","id":{},"method":"ping"})") == mcp::invalid_request);
  CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"method":7})") == mcp::invalid_request);
  CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[]})") == mcp::invalid_params);
  auto note = mcp::read_rpc_request(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":3})");
  REQUIRE(std::get_if<mcp::rpc_request>(&note));
  CHECK(std::get<mcp::rpc_request>(note).notification);
  auto refused = std::get<mcp::rpc_refusal>(mcp::read_rpc_request(R"({"jsonrpc":"1.0","id":"x","method":"ping"})"));
  CHECK(refused.id == "x");

  json id = 4;
  auto call = mcp::read_tool_call(id, json{{"name", "t"}, {"_meta", 5}});
  REQUIRE(std::get_if<mcp::tool_call>(&call));
  CHECK(std::get<mcp::tool_call>(call).arguments == json::object());
  CHECK(std::get<mcp::tool_call>(call).meta == json::object());
  CHECK(std::holds_alternative<mcp::rpc_refusal>(mcp::read_tool_call(id, json{{"name", 1}})));
  CHECK(std::holds_alternative<mcp::rpc_refusal>(mcp::read_tool_call(id, json{{"name", "t"}, {"arguments", "x"}})));
  CHECK(std::holds_alternative<mcp::rpc_refusal>(mcp::read_cursor(id, json{{"cursor", 9}})));
}
