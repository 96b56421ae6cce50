// The real `hearth serve` on a free loopback port: /health through curl,
// hostile requests through raw sockets, SIGTERM, restarts on the same data
// dir (clean and after SIGKILL), and start-up failures with clear messages.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sys/stat.h>

#include "support/process.hpp"
#include "support/raw_http.hpp"
#include "support/test_node.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
using nlohmann::json;


TEST_CASE("hearth serve answers /health and survives hostile requests", "[node]") {
  temp_dir dir;
  node n(dir.path());
  json h = n.health();
  CHECK(h["status"] == "ok");
  CHECK(h["version"].is_string());
  CHECK(h["uptime_seconds"].get<double>() >= 0);
  auto addr = run({hearth_bin, "key", "address", "--key", "@" + dir.path() + "/node.key"});
  REQUIRE(addr.status == 0);
  CHECK(h["node"]["address"] == addr.out.substr(0, addr.out.size() - 1));
  CHECK(h["node"]["owner"] == h["node"]["address"]);
  CHECK(h["storage"]["start_count"] == 1);
  CHECK(h["actors"]["running"].get<int>() >= 2);
  for (const auto& c : h["actors"]["children"]) CHECK(c["alive"] == true);

  auto index = run({"curl", "-sS", "-i", n.url("/")});
  CHECK(index.out.find("text/html") != std::string::npos);
  CHECK(index.out.find("<html") != std::string::npos);

  // One connection, two requests: curl reuses it.
  auto keepalive = run({"curl", "-sS", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects} ", n.url("/health"),
                        n.url("/health")});
  CHECK(keepalive.out == "1 0 ");

  auto missing = http_exchange(n.port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(json::parse(missing->body)["error"]["code"] == "not_found");

  auto wrong_method = http_exchange(n.port, "DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(wrong_method);
  CHECK(wrong_method->status == 405);
  CHECK(wrong_method->header("allow") == "GET, HEAD");

  auto garbage = http_exchange(n.port, "\x01\x02\x03 / HTTP/9.9\r\n\r\n");
  REQUIRE(garbage);
  CHECK(garbage->status == 400);

  auto big_header = http_exchange(n.port, "GET / HTTP/1.1\r\nX: " + std::string(64 * 1024, 'h') + "\r\n\r\n");
  REQUIRE(big_header);
  CHECK(big_header->status == 431);

  auto big_body = http_exchange(n.port, "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n");
  REQUIRE(big_body);
  CHECK(big_body->status == 413);

  // A client that vanishes mid-request does no harm.
  {
    raw_connection half(n.port);
    half.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
  }
  CHECK(n.health()["status"] == "ok");

  CHECK(n.stop(SIGTERM) == 0);
  CHECK(n.proc->output().find("stopped cleanly") != std::string::npos);
}

TEST_CASE("MCP requests whose fields have the wrong types get JSON-RPC answers, never a hang", "[node][mcp]") {
  temp_dir dir;
  node n(dir.path());
  auto rpc = [&](const std::string& body) {
    auto r = http_exchange(n.port, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                   "Accept: application/json, text/event-stream\r\nContent-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body);
    INFO(body);
    REQUIRE(r);
    CHECK(r->status == 200);
    return json::parse(r->body);
  };
  CHECK(rpc(R"({"jsonrpc":2,"id":1,"method":"ping"})")["error"]["code"] == -32600);
  CHECK(rpc(R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":7}})")["error"]["code"] == -32602);
  auto init = rpc(R"({"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":5}})");
  CHECK(init["result"]["protocolVersion"].is_string());  // an unreadable version: the newest is offered
  CHECK(rpc(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x","arguments":[1]}})")["error"]["code"] ==
        -32602);
  CHECK(n.health()["status"] == "ok");
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("idle and dribbling connections from a few addresses cannot crowd out another client", "[node][security]") {
  temp_dir dir;
  node n(dir.path(), {"--http-max-connections", "100", "--http-max-connections-per-address", "30"});
  // One address holds its share: 30 connections, half idle, half dribbling a header; the 31st is refused.
  std::vector<std::unique_ptr<raw_connection>> crowd;
  auto open_from = [&](int last_octet, int count) {
    for (int i = 0; i < count; ++i) {
      crowd.push_back(std::make_unique<raw_connection>(n.port, "127.0.0." + std::to_string(last_octet)));
      if (i % 2) crowd.back()->send("GET /health HTTP/1.1\r\nHo");
    }
  };
  open_from(2, 30);
  raw_connection extra(n.port, "127.0.0.2");
  auto refused = extra.read_response(10s);
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(json::parse(refused->body)["error"]["code"] == "rate_limited");
  // Three more addresses: 120 connections for a limit of 100. Idle ones from the
  // busiest addresses make room; a client from elsewhere is still served.
  for (int a = 3; a <= 5; ++a) open_from(a, 30);
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = http_exchange(n.port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    answered += r && r->status == 200;
  }
  CHECK(answered == 5);
  // The crowd lost connections to the limit (closed by the node, not answered).
  int closed = 0;
  for (int pass = 0; pass < 50 && closed < 20; ++pass) {  // bounded: the closes are asynchronous
    closed = 0;
    for (auto& c : crowd) closed += c->wait_closed(1ms);
  }
  CHECK(closed >= 20);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("restarts on one data dir keep the key and tell clean from unclean stops", "[node]") {
  temp_dir dir;
  std::string first_address;
  {
    node n(dir.path());
    first_address = n.health()["node"]["address"];
    CHECK(n.stop(SIGINT) == 0);
  }
  {
    node n(dir.path(), {"--owner", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"});
    json h = n.health();
    CHECK(h["node"]["address"] == first_address);
    CHECK(h["node"]["owner"] == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    CHECK(h["node"]["owner_is_node_key"] == false);
    CHECK(h["storage"]["start_count"] == 2);
    CHECK(h["storage"]["previous_stop"] == "clean");

    // A second node on the same data dir is refused while this one runs.
    auto second = run({hearth_bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path()});
    CHECK(second.status == 2);
    CHECK(second.err.find("data_dir_locked") != std::string::npos);

    CHECK(n.stop(SIGKILL) == 128 + SIGKILL);
  }
  node n(dir.path());
  json h = n.health();
  CHECK(h["storage"]["start_count"] == 3);
  CHECK(h["storage"]["previous_stop"] == "unclean");
  CHECK(h["storage"]["unclean_stops"] == 1);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("start-up failures exit with a clear message", "[node]") {
  temp_dir dir;
  auto bad_owner = run({hearth_bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path(), "--owner",
                        "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"});
  CHECK(bad_owner.status == 2);
  CHECK(bad_owner.err.find("bad_address_checksum") != std::string::npos);

  node n(dir.file("a"));
  auto busy = run({hearth_bin, "serve", "--listen", "127.0.0.1:" + std::to_string(n.port), "--data-dir", dir.file("b")});
  CHECK(busy.status == 2);
  CHECK(busy.err.find("listen_failed") != std::string::npos);

  auto bad_listen = run({hearth_bin, "serve", "--listen", "localhost", "--data-dir", dir.file("c")});
  CHECK(bad_listen.status == 2);
  CHECK(bad_listen.err.find("bad_listen_address") != std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
}

#include "crypto/base64.hpp"

TEST_CASE("offers: upload with hearth offer, list, fetch, refuse tampering and strangers, survive restart", "[node][offer]") {
  temp_dir dir;
  std::string key = "@" + dir.path() + "/node.key";
  std::string hash;
  {
    node n(dir.path());
    std::string base = n.url("");
    auto up = run({hearth_bin, "offer", "--exe", SANDBOX_PROBE, "--cgi", "--price", "0.001", "--name", "probe", "--key",
                   key, "--upload", base});
    INFO(up.err);
    REQUIRE(up.status == 0);
    hash = up.out.substr(0, up.out.find('\n'));
    CHECK(hash.size() == 64);
    CHECK(up.out.find(base + "/" + hash + ".cgi/") != std::string::npos);

    auto again = run({hearth_bin, "offer", "--exe", SANDBOX_PROBE, "--cgi", "--price", "0.001", "--name", "probe",
                      "--key", key, "--upload", base});
    CHECK(again.status == 0);

    auto got = run({"curl", "-sS", n.url("/offers/" + hash)});
    json o = json::parse(got.out);
    CHECK(o["hash"] == hash);
    CHECK(o["owner"] == n.health()["node"]["owner"]);
    CHECK(o["price"]["per_call"] == "1000");
    CHECK(o["price"]["per_call_usdc"] == "0.001");
    CHECK(o["path"] == "/" + hash + ".cgi/");

    json listing = json::parse(run({"curl", "-sS", n.url("/offers?limit=10")}).out);
    REQUIRE(listing["offers"].is_array());
    CHECK(listing["offers"].size() >= 1);
    CHECK(listing["next"].is_null());

    // A large executable (the probe with 6 MiB of trailing data) uploads with progress.
    {
      std::ifstream probe(SANDBOX_PROBE, std::ios::binary);
      std::ofstream big(dir.file("big-probe"), std::ios::binary);
      big << probe.rdbuf() << std::string(6u << 20, '\0');
    }
    ::chmod(dir.file("big-probe").c_str(), 0755);
    auto large = run({hearth_bin, "offer", "--exe", dir.file("big-probe"), "--cgi", "--price", "0", "--key", key,
                      "--upload", base});
    INFO(large.err);
    CHECK(large.status == 0);
    std::size_t progress_lines = 0;
    for (auto at = large.err.find(" MiB ("); at != std::string::npos; at = large.err.find(" MiB (", at + 1)) ++progress_lines;
    CHECK(progress_lines >= 5);  // about one line per tenth (not a terminal)
    CHECK(large.err.find("(100%)") != std::string::npos);

    auto stranger = run({hearth_bin, "offer", "--exe", SANDBOX_PROBE, "--cgi", "--price", "0", "--key",
                         "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "--upload", base});
    CHECK(stranger.status == 1);
    CHECK(stranger.err.find("owner_not_accepted") != std::string::npos);

    // Sign a free offer, then raise nothing but the price: the signature no longer matches.
    auto signed_only = run({hearth_bin, "offer", "--exe", SANDBOX_PROBE, "--cgi", "--price", "0", "--key", key});
    REQUIRE(signed_only.status == 0);
    json s = json::parse(signed_only.out);
    std::string canonical = *hearth::crypto::base64_decode(s["canonical"].get<std::string>());
    auto tampered_offer = json::parse(
        run({hearth_bin, "offer", "--exe", SANDBOX_PROBE, "--cgi", "--price", "9", "--key", key}).out)["canonical"];
    std::string request = "POST /offers HTTP/1.1\r\nHost: x\r\nX-Hearth-Offer: " + tampered_offer.get<std::string>() +
                          "\r\nX-Hearth-Signature: " + s["signature"].get<std::string>() + "\r\nContent-Length: 0\r\n\r\n";
    auto tampered = http_exchange(n.port, request);
    REQUIRE(tampered);
    CHECK(tampered->status == 422);
    CHECK(json::parse(tampered->body)["error"]["code"] == "bad_offer_signature");
    CHECK(canonical.size() % 8 == 0);

    auto missing_headers = http_exchange(n.port, "POST /offers HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(missing_headers);
    CHECK(missing_headers->status == 400);
    auto bad_b64 = http_exchange(n.port, "POST /offers HTTP/1.1\r\nHost: x\r\nX-Hearth-Offer: ***\r\n"
                                         "X-Hearth-Signature: 0x00\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(bad_b64);
    CHECK(bad_b64->status == 400);
    auto unknown = http_exchange(n.port, "GET /offers/" + std::string(64, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(json::parse(unknown->body)["error"]["code"] == "offer_not_found");
    auto bad_limit = http_exchange(n.port, "GET /offers?limit=lots HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(bad_limit);
    CHECK(bad_limit->status == 400);
    CHECK(n.stop(SIGTERM) == 0);
  }
  node n(dir.path());
  auto after_restart = run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", n.url("/offers/" + hash)});
  CHECK(after_restart.out == "200");
  CHECK(n.stop(SIGTERM) == 0);
}

#include "actors/task_registry.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"

TEST_CASE("CGI offers run as sandboxed tasks", "[node][cgi]") {
  temp_dir dir;
  node n(dir.path());
  std::string key = "@" + dir.path() + "/node.key";
  auto echo = offer_script(n, key, write_script(dir, "echo.cgi",
      "echo 'Content-Type: text/plain'\necho 'Set-Cookie: a=1'\necho 'Set-Cookie: b=2'\necho\n"
      "echo \"$REQUEST_METHOD $PATH_INFO $QUERY_STRING pay=${HTTP_X_PAYMENT:-none} key=${HTTP_X_402_KEY:-none}\"\n"
      "cat\necho 'to stderr' >&2\n"));

  raw_connection c(n.port);
  c.send("POST /" + echo + ".cgi/p/q?z=9 HTTP/1.1\r\nHost: x\r\nX-PAYMENT: secret\r\nX-402-Key: 0xkey\r\n"
         "Content-Length: 5\r\n\r\nhello");
  auto r = c.read_response(60s);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /p/q z=9 pay=none key=none\nhello");
  CHECK(r->headers.count("set-cookie") == 2);
  std::string task_header = r->header("x-hearth-task");
  REQUIRE(task_header.rfind("id=", 0) == 0);
  std::string id = task_header.substr(3, 64);
  std::string token = r->header("x-hearth-task-token");
  REQUIRE(token.size() == 64);
  const std::string with_token = "X-Hearth-Task-Token: " + token;

  json t = json::parse(run({"curl", "-sS", "-H", with_token, n.url("/tasks/" + id)}).out);
  CHECK(t["state"] == "completed");
  CHECK(t["ending"] == "exited");
  CHECK(run({"curl", "-sS", "-H", with_token, n.url("/tasks/" + id + "/stderr")}).out == "to stderr\n");
  // The node's signature over the output recovers to the node's address.
  auto sig_bytes = *hearth::crypto::from_hex(t["output_signature"].get<std::string>());
  auto sig = hearth::crypto::signature::from_bytes(sig_bytes.data(), sig_bytes.size());
  REQUIRE(sig);
  auto owner = *hearth::crypto::parse_address(n.health()["node"]["owner"].get<std::string>());
  std::string stdout_data = run({"curl", "-sS", n.url("/tasks/" + id + "/stdout?token=" + token)}).out;
  auto signer = hearth::crypto::recover_address(hearth::actors::task_output_digest(owner, id, stdout_data), *sig);
  REQUIRE(signer);
  CHECK(signer->checksummed() == t["signer"]);

  auto options = http_exchange(n.port, "OPTIONS /" + echo + ".cgi/ HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(options);
  CHECK(options->status == 204);
  CHECK(options->header("access-control-allow-origin") == "*");

  auto status_of = [&](const std::string& hash, const std::string& path = "/") {
    auto res = http_exchange(n.port, "GET /" + hash + ".cgi" + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(res);
    return std::make_pair(res->status, json::parse(res->body, nullptr, false));
  };
  auto slow = offer_script(n, key, write_script(dir, "slow.cgi", "sleep 30\n"), {"--wall-secs", "1"});
  auto [slow_status, slow_body] = status_of(slow);
  CHECK(slow_status == 504);
  CHECK(slow_body["error"]["code"] == "wall_limit");

  auto garbled = offer_script(n, key, write_script(dir, "bad.cgi", "echo 'no header block'\n"));
  auto [bad_status, bad_body] = status_of(garbled);
  CHECK(bad_status == 502);
  CHECK(bad_body["error"]["code"] == "bad_cgi_output");

  auto crash = offer_script(n, key, SANDBOX_PROBE, {"--arg", "segv"});
  auto [crash_status, crash_body] = status_of(crash);
  CHECK(crash_status == 502);
  CHECK(crash_body["error"]["code"] == "handler_crashed");

  auto priced = offer_script(n, key, write_script(dir, "priced.cgi", "echo\necho paid\n"), {"--price", "0.01"});
  CHECK(status_of(priced).first == 402);
  CHECK(status_of(std::string(64, 'e')).second["error"]["code"] == "offer_not_found");
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("deterministic offers answer repeated requests from the stored result", "[node][cgi]") {
  temp_dir dir;
  node n(dir.path());
  std::string key = "@" + dir.path() + "/node.key";
  std::string script = write_script(dir, "rand.cgi", "echo\nhead -c 8 /dev/urandom | od -An -tx1\n");
  auto det = offer_script(n, key, script, {"--deterministic"});
  auto nondet = offer_script(n, key, script);
  auto get = [&](const std::string& hash) {
    auto r = http_exchange(n.port, "GET /" + hash + ".cgi/same HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return *r;
  };
  auto first = get(det), second = get(det);
  CHECK(first.body == second.body);
  CHECK(first.header("x-hearth-task").substr(0, 67) == second.header("x-hearth-task").substr(0, 67));
  CHECK(second.header("x-hearth-task").find("cache=hit") != std::string::npos);
  auto a = get(nondet), b = get(nondet);
  CHECK(a.body != b.body);
  CHECK(a.header("x-hearth-task").substr(0, 67) != b.header("x-hearth-task").substr(0, 67));
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("hearth run runs batch offers; hearth task inspects tasks", "[node][batch]") {
  temp_dir dir;
  node n(dir.path());
  std::string key = "@" + dir.path() + "/node.key";
  std::string script = write_script(dir, "wc.sh", "echo \"args: $*\"\ntr a-z A-Z\necho oops >&2\nexit 3\n");
  auto up = run({hearth_bin, "offer", "--exe", script, "--batch", "--price", "0", "--arg", "fixed", "--args-extendable",
                 "--key", key, "--upload", n.url("")});
  REQUIRE(up.status == 0);
  std::string hash = up.out.substr(0, 64);

  auto r = run({hearth_bin, "run", hash, "--node", n.url(""), "--", "one", "two"}, {}, "shout\n");
  CHECK(r.status == 3);  // the program's exit code
  CHECK(r.out == "args: fixed one two\nSHOUT\n");
  CHECK(r.err.find("oops") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(r.err, m, std::regex("task ([0-9a-f]{64}) exited exit=3 token=([0-9a-f]{64})")));
  std::string id = m[1], token = m[2];

  // The caller reads its task with its token; the owner with the host token or its key; nobody else.
  auto status = run({hearth_bin, "task", "status", id, "--token", token, "--node", n.url(""), "--json"});
  REQUIRE(status.status == 0);
  CHECK(json::parse(status.out)["exit_code"] == 3);
  CHECK(run({hearth_bin, "task", "stdout", id, "--token", token, "--node", n.url("")}).out == "args: fixed one two\nSHOUT\n");
  const std::string token_file = dir.path() + "/couch-host.token";
  CHECK(run({hearth_bin, "task", "stderr", id, "--host-token-file", token_file, "--node", n.url("")}).out == "oops\n");
  CHECK(run({hearth_bin, "task", "list", "--host-token-file", token_file, "--node", n.url("")}).out.find(id) !=
        std::string::npos);
  CHECK(run({hearth_bin, "task", "list", "--key", key, "--node", n.url("")}).out.find(id) != std::string::npos);
  auto stranger = run({hearth_bin, "task", "stdout", id, "--host-token-file", dir.file("none"), "--node", n.url("")});
  CHECK(stranger.status == 1);
  CHECK(stranger.err.find("[unauthorized]") != std::string::npos);
  auto missing = run({hearth_bin, "task", "status", std::string(64, '0'), "--host-token-file", token_file,
                      "--node", n.url("")});
  CHECK(missing.status == 1);
  CHECK(missing.err.find("task_not_found") != std::string::npos);

  auto bad = http_exchange(n.port, "POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{broken");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto cgi_as_batch = offer_script(n, key, write_script(dir, "c.cgi", "echo\n"));
  auto wrong = run({hearth_bin, "run", cgi_as_batch, "--node", n.url("")});
  CHECK(wrong.status == 1);
  CHECK(wrong.err.find("wrong_offer_mode") != std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("offer presets: the owner's args, env and stdin; what callers may add; retention; several nodes", "[node][offer]") {
  temp_dir dir;
  const std::string owner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  const std::string key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";  // owner's (a test key)
  node n(dir.path(), {"--owner", owner});
  node second(dir.path() + "/second", {"--owner", owner});
  std::string script = write_script(dir, "show.sh", "echo \"args: $*\"\necho \"mode=$MODE extra=${EXTRA:-none}\"\ncat\n");
  auto offer = [&](std::vector<std::string> extra, const std::string& upload) {
    std::vector<std::string> argv{hearth_bin, "offer", "--exe", script, "--batch", "--key", key, "--upload", upload};
    if (std::find(extra.begin(), extra.end(), "--price") == extra.end()) extra.insert(extra.end(), {"--price", "0"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r.out.substr(0, 64);
  };

  // Fixed by the owner: arguments, MODE, and stdin; uploaded to both nodes at once.
  auto fixed = offer({"--arg", "owner", "--env", "MODE=owner", "--stdin", "from the owner", "--valid-for", "2h"},
                     n.url("") + "," + second.url(""));
  auto plain = run({hearth_bin, "run", fixed, "--node", n.url("")});
  CHECK(plain.out == "args: owner\nmode=owner extra=none\nfrom the owner");
  CHECK(run({hearth_bin, "run", fixed, "--node", second.url("")}).out == plain.out);
  auto got = http_exchange(n.port, "GET /offers/" + fixed + " HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(got);
  auto shown = json::parse(got->body);
  CHECK(shown["version"] == 2);
  CHECK(shown["env"] == json::array({"MODE=owner"}));
  CHECK(shown["args_extendable"] == false);
  CHECK(shown["stdin_appendable"] == false);
  CHECK(shown["expires_at"].get<std::int64_t>() - shown["created_at"].get<std::int64_t>() == 7200);
  auto bad_duration = run({hearth_bin, "offer", "--exe", script, "--batch", "--price", "0", "--key", key, "--valid-for", "2x"});
  CHECK(bad_duration.status != 0);
  CHECK(bad_duration.err.find("unit is s, m, h or d") != std::string::npos);
  auto batch_without_chain = run({hearth_bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir.file("nochain"),
                                  "--settle-batch-secs", "5"});
  CHECK(batch_without_chain.status != 0);
  CHECK(batch_without_chain.err.find("needs --settlement chain") != std::string::npos);
  CHECK(hearth::crypto::base64_decode(shown["stdin_base64"].get<std::string>()).value() == "from the owner");

  auto with_args = run({hearth_bin, "run", fixed, "--node", n.url(""), "--", "more"});
  CHECK(with_args.status == 1);
  CHECK(with_args.err.find("args_not_extendable") != std::string::npos);
  auto with_env = run({hearth_bin, "run", fixed, "--node", n.url(""), "--env", "EXTRA=1"});
  CHECK(with_env.err.find("env_not_extendable") != std::string::npos);
  auto with_stdin = run({hearth_bin, "run", fixed, "--node", n.url("")}, {}, "the caller's");
  CHECK(with_stdin.err.find("stdin_not_appendable") != std::string::npos);

  // Extendable: the caller adds arguments and stdin, adds and overrides variables.
  auto open = offer({"--arg", "owner", "--args-extendable", "--env", "MODE=owner", "--env-extendable", "--stdin",
                     "owner:", "--stdin-appendable"}, n.url(""));
  auto added = run({hearth_bin, "run", open, "--node", n.url(""), "--env", "MODE=caller", "--env", "EXTRA=1", "--", "x"},
                   {}, "caller");
  CHECK(added.out == "args: owner x\nmode=caller extra=1\nowner:caller");

  // A priced offer refuses what it does not take before asking for payment: a 400, not a 402.
  auto priced = offer({"--price", "0.01"}, n.url(""));
  auto refused = http_exchange(n.port, "POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                       "Content-Length: 96\r\n\r\n" +
                                           [&] {
                                             auto b = json{{"offer", priced}, {"args", {"x"}}}.dump();
                                             return b + std::string(96 - b.size(), ' ');
                                           }());
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK(json::parse(refused->body)["error"]["code"] == "args_not_extendable");

  // --retain: the task is gone from the node once its time has passed.
  auto brief = offer({"--retain", "1s"}, n.url(""));
  auto ran = run({hearth_bin, "run", brief, "--node", n.url(""), "--json"});
  REQUIRE(ran.status == 0);
  std::string id = json::parse(ran.out)["id"];
  const std::string token_file = dir.path() + "/couch-host.token";
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {  // bounded: 10 s
    auto status = run({hearth_bin, "task", "status", id, "--host-token-file", token_file, "--node", n.url("")});
    gone = status.err.find("task_not_found") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  CHECK(gone);
  CHECK(n.stop(SIGTERM) == 0);
  CHECK(second.stop(SIGTERM) == 0);
}

TEST_CASE("the node accepts offers from the addresses its config allows", "[node][offer]") {
  temp_dir dir;
  const std::string friend_key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
  auto bad = run({hearth_bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir.file("x"), "--accept-offers-from",
                  "0x1234"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("accept-offers-from") != std::string::npos);

  node n(dir.path(), {"--accept-offers-from", " 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 ,"});
  auto up = run({hearth_bin, "offer", "--exe", SANDBOX_PROBE, "--batch", "--price", "0", "--key", friend_key,
                 "--upload", n.url("")});
  INFO(up.err);
  CHECK(up.status == 0);
  CHECK(n.stop(SIGTERM) == 0);
}

namespace {

// The peak resident memory of a process, from /proc (VmHWM), in bytes.
std::uint64_t peak_rss(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

}  // namespace

TEST_CASE("large CGI request bodies stream from disk to the program, not through memory", "[node][cgi]") {
  temp_dir dir;
  node n(dir.path());
  std::string key = "@" + dir.path() + "/node.key";
  auto digest = offer_script(n, key, write_script(dir, "digest.cgi",
      "echo 'Content-Type: text/plain'\necho\necho \"$CONTENT_LENGTH\"\nsha256sum | cut -d' ' -f1\n"),
      {"--wall-secs", "60"});

  const std::size_t size = 96u << 20;
  {
    std::ofstream body(dir.file("body.bin"), std::ios::binary);
    std::string block(1 << 20, '\0');
    for (std::size_t i = 0; i < size / block.size(); ++i) {
      for (std::size_t j = 0; j < block.size(); j += 4096) block[j] = static_cast<char>(i + j);
      body << block;
    }
  }
  auto expected = hearth::crypto::sha256_file(dir.file("body.bin"));
  REQUIRE(expected);
  std::string expected_hex = hearth::crypto::to_hex(expected->data(), expected->size());
  auto before = peak_rss(n.proc->pid());

  auto sized = run({"curl", "-sS", "--max-time", "120", "--data-binary", "@" + dir.file("body.bin"),
                    n.url("/" + digest + ".cgi/")});
  CHECK(sized.out == std::to_string(size) + "\n" + expected_hex + "\n");
  // Chunked: the length is known only once the body is on disk.
  auto chunked = run({"curl", "-sS", "--max-time", "120", "-H", "Transfer-Encoding: chunked", "--data-binary",
                      "@" + dir.file("body.bin"), n.url("/" + digest + ".cgi/")});
  CHECK(chunked.out == std::to_string(size) + "\n" + expected_hex + "\n");

  auto after = peak_rss(n.proc->pid());
  INFO("peak RSS before " << before << ", after " << after);
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine keeps freed slices resident
  CHECK(after < before + size / 4);  // buffered, a body would add at least its own size
#endif
  // Answered requests leave no spooled body behind.
  CHECK(std::filesystem::is_empty(dir.path() + "/spool"));

  // Above --http-cgi-body-limit: 413 before the body is read.
  node small(dir.file("small"), {"--http-cgi-body-limit", "1000000"});
  auto hash = offer_script(small, "@" + dir.file("small") + "/node.key", dir.file("digest.cgi"));
  auto refused = run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary",
                      "@" + dir.file("body.bin"), small.url("/" + hash + ".cgi/")});
  CHECK(refused.out == "413");
}

TEST_CASE("large CGI responses stream to the client as the program writes, never held whole", "[node][cgi][stream]") {
  temp_dir dir;
  node n(dir.path());
  std::string key = "@" + dir.path() + "/node.key";
  const std::size_t size = 64u << 20;
  auto big = offer_script(n, key, write_script(dir, "big.cgi",
      "printf 'Content-Type: application/octet-stream\\r\\nContent-Length: 5\\r\\n\\r\\n'\n"
      "head -c " + std::to_string(size) + " /dev/zero | tr '\\0' 'x'\n"),
      {"--wall-secs", "60", "--max-output", std::to_string(size + 1000)});
  auto before = peak_rss(n.proc->pid());
  auto got = run({"curl", "-sS", "--max-time", "120", "-D", dir.file("headers"), "-o", dir.file("body"), "-w",
                  "%{size_download}", n.url("/" + big + ".cgi/")});
  CHECK(got.status == 0);
  CHECK(got.out == std::to_string(size));
  std::ifstream headers_file(dir.file("headers"));
  std::string headers((std::istreambuf_iterator<char>(headers_file)), std::istreambuf_iterator<char>());
  INFO(headers);
  CHECK(headers.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(headers.find("Content-Length") == std::string::npos);  // the program's own is dropped
  CHECK(headers.find("; streamed") != std::string::npos);
  auto after = peak_rss(n.proc->pid());
  INFO("peak RSS before " << before << ", after " << after);
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(after < before + size / 4);
#endif
  // The record keeps the size; the output lives in the task's file and is
  // served from there, CGI header block included.
  std::smatch m;
  REQUIRE(std::regex_search(headers, m, std::regex("X-Hearth-Task: id=([0-9a-f]{64})")));
  std::string id = m[1];
  json task;
  for (int i = 0; i < 100; ++i) {  // bounded: the record is final right after the body's end
    task = json::parse(run({"curl", "-sS", "-H", n.owner_header(), n.url("/tasks/" + id)}).out);
    if (task["state"] == "completed") break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(task["stdout_bytes"].get<std::size_t>() > size);
  CHECK(std::filesystem::file_size(dir.path() + "/outputs/" + id) == task["stdout_bytes"].get<std::size_t>());
  auto stored = run({"curl", "-sS", "-H", n.owner_header(), "-o", "/dev/null", "-w", "%{size_download}",
                     n.url("/tasks/" + id + "/stdout")});
  CHECK(stored.out == std::to_string(task["stdout_bytes"].get<std::size_t>()));

  // The first bytes arrive while the program still runs.
  auto slow = offer_script(n, key, write_script(dir, "slow.cgi",
      "printf 'Content-Type: text/plain\\n\\n'\nhead -c 100000 /dev/zero | tr '\\0' 'y'\nsleep 2\necho end\n"),
      {"--wall-secs", "30"});
  raw_connection c(n.port);
  c.send("GET /" + slow + ".cgi/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::string seen;
  while (seen.find(std::string(1000, 'y')) == std::string::npos) {
    auto piece = c.read_some(10s);
    REQUIRE(piece);
    seen += *piece;
  }
  REQUIRE(std::regex_search(seen, m, std::regex("X-Hearth-Task: id=([0-9a-f]{64})")));
  std::smatch streamed_token;  // a streamed answer carries the caller's read token too
  REQUIRE(std::regex_search(seen, streamed_token, std::regex("X-Hearth-Task-Token: ([0-9a-f]{64})")));
  CHECK(json::parse(run({"curl", "-sS", "-H", "X-Hearth-Task-Token: " + std::string(streamed_token[1]),
                         n.url("/tasks/" + std::string(m[1]))}).out)["state"] == "running");

  // A program killed after its head: the body is cut, not ended (no last chunk).
  auto cut = offer_script(n, key, write_script(dir, "cut.cgi",
      "printf 'Content-Type: text/plain\\n\\n'\nhead -c 200000 /dev/zero\nkill -9 $$\n"), {"--wall-secs", "30"});
  auto partial = run({"curl", "-sS", "-o", "/dev/null", "--max-time", "30", n.url("/" + cut + ".cgi/")});
  CHECK(partial.status == 18);  // curl: partial file
}

#include <ctime>
#include <optional>
#include <thread>

#include "net/owner_auth.hpp"

namespace {

// GET path with extra header lines; the status and the parsed body.
std::pair<unsigned, json> get_with(const node& n, const std::string& path, const std::string& headers = "") {
  auto r = http_exchange(n.port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
  REQUIRE(r);
  return {r->status, json::parse(r->body, nullptr, false)};
}

std::string owner_signature(const std::string& key_file, const node& n, const std::string& target, std::uint64_t at) {
  auto key = hearth::crypto::private_key::load("@" + key_file);
  REQUIRE(key);
  return std::string(hearth::net::owner_signature_header) + ": " +
         hearth::net::owner_signature_value(*key, n.health()["node"]["address"], "GET", target, at) + "\r\n";
}

}  // namespace

TEST_CASE("a task's record and output are the owner's and its caller's only", "[node][security]") {
  temp_dir dir;
  node n(dir.path());
  std::string key = "@" + dir.path() + "/node.key";
  auto det = offer_script(n, key, write_script(dir, "det.cgi", "echo\necho \"secret for $QUERY_STRING\"\n"),
                          {"--deterministic"});
  auto first = http_exchange(n.port, "GET /" + det + ".cgi/?alice HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(first);
  REQUIRE(first->status == 200);
  std::string id = first->header("x-hearth-task").substr(3, 64);
  std::string token = first->header("x-hearth-task-token");
  REQUIRE(token.size() == 64);

  // Nobody without a credential reads, lists or even learns whether a task exists.
  for (const auto& path : std::vector<std::string>{"/tasks", "/tasks/" + id, "/tasks/" + id + "/stdout", "/tasks/" + id + "/stderr",
                           "/tasks/" + std::string(64, '0')}) {
    auto [status, body] = get_with(n, path);
    INFO(path);
    CHECK(status == 401);
    CHECK(body["error"]["code"] == "unauthorized");
  }
  CHECK(get_with(n, "/tasks/" + id, "X-Hearth-Task-Token: " + std::string(64, 'f') + "\r\n").first == 401);
  CHECK(get_with(n, "/tasks/" + std::string(64, '0'), "X-Hearth-Task-Token: " + token + "\r\n").first == 401);
  CHECK(get_with(n, "/tasks", "X-Hearth-Task-Token: " + token + "\r\n").first == 401);  // listing is the owner's
  CHECK(get_with(n, "/tasks", "Authorization: Bearer not-the-host-token\r\n").first == 401);

  // The caller, with its token.
  auto mine = http_exchange(n.port, "GET /tasks/" + id + "/stdout HTTP/1.1\r\nHost: x\r\nX-Hearth-Task-Token: " + token +
                                        "\r\n\r\n");
  REQUIRE(mine);
  CHECK(mine->status == 200);
  CHECK(mine->body == "\nsecret for alice\n");  // the program's whole stdout, CGI head included

  // A second caller with the same input gets the cached answer, but no
  // capability for the first caller's run (whose id anyone can compute).
  auto second = http_exchange(n.port, "GET /" + det + ".cgi/?alice HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(second);
  CHECK(second->body == "secret for alice\n");
  CHECK(second->header("x-hearth-task").find("cache=hit") != std::string::npos);
  CHECK(second->header("x-hearth-task-token").empty());

  // The owner: the host token, or a fresh signature by the owner key for this very request.
  CHECK(get_with(n, "/tasks", n.owner_header() + "\r\n").second["tasks"].size() == 1);
  CHECK(get_with(n, "/tasks/" + std::string(64, '0'), n.owner_header() + "\r\n").first == 404);
  std::string key_file = dir.path() + "/node.key";
  auto now = static_cast<std::uint64_t>(std::time(nullptr));
  CHECK(get_with(n, "/tasks/" + id, owner_signature(key_file, n, "/tasks/" + id, now)).first == 200);
  CHECK(get_with(n, "/tasks", owner_signature(key_file, n, "/tasks/" + id, now)).first == 401);  // another target
  CHECK(get_with(n, "/tasks/" + id, owner_signature(key_file, n, "/tasks/" + id, now - 3600)).first == 401);  // stale
  std::string stranger = dir.file("stranger.key");
  std::ofstream(stranger) << "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n";
  CHECK(get_with(n, "/tasks/" + id, owner_signature(stranger, n, "/tasks/" + id, now)).first == 401);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("an expired offer stops answering, and drops out of listings", "[node][security]") {
  temp_dir dir;
  node n(dir.path());
  std::string key = "@" + dir.path() + "/node.key";
  // Expires two seconds after it is signed (expires_at is in whole seconds).
  auto brief = offer_script(n, key, write_script(dir, "brief.cgi", "echo\necho alive\n"),
                            {"--expires-in-hours", "0.0006"});
  auto priced = offer_script(n, key, write_script(dir, "priced.cgi", "echo\necho paid\n"),
                             {"--expires-in-hours", "0.0006", "--price", "0.01"});
  auto lasting = offer_script(n, key, write_script(dir, "lasting.cgi", "echo\necho still\n"));
  auto call = [&] { return http_exchange(n.port, "GET /" + brief + ".cgi/ HTTP/1.1\r\nHost: x\r\n\r\n"); };
  auto listed = [&](const std::string& hash) {
    json listing = json::parse(run({"curl", "-sS", n.url("/offers")}).out);
    for (const auto& o : listing["offers"])
      if (o["hash"].get<std::string>() == hash) return true;
    return false;
  };
  auto shown = json::parse(run({"curl", "-sS", n.url("/offers/" + brief)}).out, nullptr, false);
  std::int64_t expires_at = shown.is_object() ? shown.value("expires_at", std::int64_t{0}) : 0;
  auto alive = call();
  REQUIRE(alive);
  // Listed while it lives (a slow machine, e.g. under ASan, may be past the two seconds by the listing).
  std::int64_t listing_at = std::time(nullptr);
  if (alive->status == 200) CHECK((listed(brief) || listing_at >= expires_at));
  std::optional<response> gone;
  for (int i = 0; i < 100; ++i) {  // bounded: 10 s for a 2 s expiry
    gone = call();
    REQUIRE(gone);
    if (gone->status != 200) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(gone->status == 410);
  CHECK(json::parse(gone->body)["error"]["code"] == "offer_expired");
  CHECK_FALSE(listed(brief));
  CHECK(listed(lasting));
  // A priced one asks for no payment once expired (it was signed a little
  // later, so it may expire a little later): nothing can be paid for it.
  std::optional<response> unpaid;
  for (int i = 0; i < 100; ++i) {  // bounded, as above
    unpaid = http_exchange(n.port, "GET /" + priced + ".cgi/ HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(unpaid);
    if (unpaid->status != 402) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(unpaid->status == 410);
  CHECK(n.stop(SIGTERM) == 0);
}
