// The couch against the real node: host authentication, the whole flow
// (create, redeem, status, activate, usage, kill), the concurrent-redeem
// race, expiry with a moved clock, a restart in the middle, hostile input.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <filesystem>
#include <future>
#include <sstream>
#include <thread>

#include "support/couch_node.hpp"

using namespace hearth::test;
using nlohmann::json;

TEST_CASE("host endpoints need the host token; bad input gets 400 with a reason", "[couch]") {
  couch_node c;
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{{"POST", "/couch/invites"},
                                                                              {"GET", "/couch/invites"},
                                                                              {"GET", "/couch/guests"},
                                                                              {"DELETE", "/couch/guests/x"}}) {
    auto none = c.call(method, path, "{}", false);
    CHECK(none.status == 401);
    auto wrong = c.call(method, path, "{}", false, "Authorization: Bearer " + std::string(c.host_token.size(), 'x') + "\r\n");
    CHECK(wrong.status == 401);
  }
  CHECK(c.call("POST", "/couch/invites", "{nope").status == 400);
  auto bad_limits = c.call("POST", "/couch/invites", R"({"resourceLimits":{"maxMemoryMB":"lots"}})");
  CHECK(bad_limits.status == 400);
  CHECK(json::parse(bad_limits.body)["error"]["message"].get<std::string>().find("resourceLimits") != std::string::npos);
  CHECK(c.call("POST", "/couch/invites", R"({"expiresInHours":-1})").status == 400);
  CHECK(c.call("POST", "/couch/redeem", "[]", false).status == 400);
  CHECK(c.call("POST", "/couch/redeem", R"({"code":"inv_x"})", false).status == 400);
  CHECK(c.call("POST", "/couch/redeem", R"({"code":"inv_unknown","name":"x"})", false).status == 404);
  CHECK(c.call("GET", "/couch/status", "", false).status == 401);
  CHECK(c.call("GET", "/couch/status?token=guest_nope", "", false).status == 401);
  CHECK(c.call("PUT", "/couch/guests/nope/usage", R"({"tokensIn":-5})").status == 400);
  CHECK(c.call("GET", "/couch/guests/nope/status").status == 404);
}

TEST_CASE("create, redeem, activate, report usage, kill", "[couch]") {
  couch_node c;
  auto inv = c.ok("POST", "/couch/invites", invite_body, 201);
  std::string code = inv["code"];
  CHECK(code.rfind("inv_", 0) == 0);
  CHECK(code.size() >= 4 + 32);  // 128 random bits
  CHECK(inv["status"] == "active");
  CHECK(inv["resourceLimits"]["maxMemoryMB"] == 512);
  auto listed = c.ok("GET", "/couch/invites?status=active");
  REQUIRE(listed["invites"].size() == 1);
  CHECK(!listed["invites"][0].contains("code"));  // the code is shown once

  auto g = c.redeem(code);
  CHECK(g["status"] == "provisioning");
  CHECK(g["agentEndpoint"].is_null());
  CHECK(g["permissions"]["canSpawnSubAgents"] == true);
  std::string token = g["authToken"], id = g["guestId"];
  CHECK(token.size() >= 6 + 64);
  CHECK(c.ok("GET", "/couch/invites?status=redeemed")["invites"][0]["redeemedBy"] == id);

  auto status = c.call("GET", "/couch/status?token=" + token, "", false);
  CHECK(status.status == 200);
  CHECK(json::parse(status.body)["status"] == "provisioning");
  auto bearer = c.call("GET", "/couch/status", "", false, "Authorization: Bearer " + token + "\r\n");
  CHECK(json::parse(bearer.body)["guestId"] == id);

  auto running = c.ok("POST", "/couch/guests/" + id + "/activate", {{"agentEndpoint", "http://127.0.0.1:9/agent"}});
  CHECK(running["status"] == "running");
  CHECK(json::parse(c.call("GET", "/couch/status?token=" + token, "", false).body)["agentEndpoint"] ==
        "http://127.0.0.1:9/agent");

  auto usage = c.ok("PUT", "/couch/guests/" + id + "/usage", {{"tokensIn", 300}, {"tokensOut", 200}, {"memoryMB", 100}});
  CHECK(usage["withinLimits"] == true);
  CHECK(usage["status"] == "running");
  auto listed_guests = c.ok("GET", "/couch/guests");
  CHECK(listed_guests["guests"][0]["usage"]["tokensIn"] == 300);
  CHECK(listed_guests.dump().find(token) == std::string::npos);
  CHECK(listed_guests.dump().find("token_hash") == std::string::npos);

  auto killed = c.ok("DELETE", "/couch/guests/" + id);
  CHECK(killed["status"] == "revoked");
  CHECK(c.call("GET", "/couch/status?token=" + token, "", false).status == 401);  // the token stops working at once
  CHECK(c.call("POST", "/couch/guests/" + id + "/activate", "{}").status == 409);
  CHECK(c.n->proc->output().find(token) == std::string::npos);
  CHECK(c.n->proc->output().find(code) == std::string::npos);

  // Crossing a hard limit revokes a guest with that reason.
  auto g2 = c.redeem(c.ok("POST", "/couch/invites", invite_body, 201)["code"]);
  auto over = c.ok("PUT", "/couch/guests/" + g2["guestId"].get<std::string>() + "/usage", {{"tokensIn", 1001}});
  CHECK(over["status"] == "revoked");
  CHECK(over["reason"] == "limit exceeded: token budget");
  CHECK(over["withinLimits"] == false);

  // A revoked invite cannot be redeemed.
  auto inv3 = c.ok("POST", "/couch/invites", invite_body, 201);
  CHECK(c.ok("DELETE", "/couch/invites/" + inv3["id"].get<std::string>())["status"] == "revoked");
  CHECK(c.call("POST", "/couch/redeem", json{{"code", inv3["code"]}, {"name", "x"}}.dump(), false).status == 410);
}

TEST_CASE("of 50 concurrent redeems of one code exactly one wins", "[couch]") {
  couch_node c;
  std::string code = c.ok("POST", "/couch/invites", invite_body, 201)["code"];
  std::vector<std::future<int>> redeems;
  for (int i = 0; i < 50; ++i)
    redeems.push_back(std::async(std::launch::async, [&c, &code, i] {
      return c.call("POST", "/couch/redeem", json{{"code", code}, {"name", "g" + std::to_string(i)}}.dump(), false).status;
    }));
  int won = 0, refused = 0;
  for (auto& r : redeems) {
    int s = r.get();
    won += s == 201;
    refused += s == 409;
  }
  CHECK(won == 1);
  CHECK(refused == 49);
  CHECK(c.ok("GET", "/couch/guests")["guests"].size() == 1);
}

TEST_CASE("invites and guests expire on time, across a restart", "[couch]") {
  couch_node c;
  auto inv = c.ok("POST", "/couch/invites", invite_body, 201);  // expires in 1 h
  json long_lived = invite_body;
  long_lived["expiresInHours"] = 48;
  auto later = c.ok("POST", "/couch/invites", long_lived, 201);
  auto g = c.redeem(c.ok("POST", "/couch/invites", invite_body, 201)["code"]);  // guest for 2 h
  std::string gid = g["guestId"];

  c.restart();  // everything survives
  CHECK(c.ok("GET", "/couch/invites?status=active")["invites"].size() == 2);
  CHECK(c.ok("GET", "/couch/guests/" + gid + "/status")["status"] == "provisioning");

  c.set_clock_offset_hours(1.5);  // the first invite is past its expiry, the guest not yet
  auto expired = c.call("POST", "/couch/redeem", json{{"code", inv["code"]}, {"name", "late"}}.dump(), false);
  CHECK(expired.status == 410);
  CHECK(json::parse(expired.body)["error"]["code"] == "invite_expired");
  CHECK(c.ok("GET", "/couch/guests/" + gid + "/status")["status"] == "provisioning");

  // While the node is down, the guest's deadline passes: it expires at the next start.
  c.n->stop(SIGKILL);
  c.set_clock_offset_hours(3);
  c.start();
  auto gone = c.await_guest(gid, [](const json& j) { return j["status"] == "expired"; });
  CHECK(gone["reason"].get<std::string>().find("maxDurationHours") != std::string::npos);
  auto invites = c.ok("GET", "/couch/invites?status=expired")["invites"];
  CHECK(invites.size() == 1);
  CHECK(c.ok("GET", "/couch/invites?status=active")["invites"][0]["id"] == later["id"]);
  CHECK(c.call("POST", "/couch/redeem", json{{"code", later["code"]}, {"name", "ok"}}.dump(), false).status == 201);
}

TEST_CASE("the hearth binary's couch clock is the wall clock, whatever its environment says", "[couch][security]") {
  couch_node c({"--couch-backend", "none"}, hearth_bin);  // the production binary
  auto inv = c.ok("POST", "/couch/invites", invite_body, 201);  // expires in 1 h
  c.set_clock_offset_hours(3);  // the test build would now see it expired (the test above)
  CHECK(c.call("POST", "/couch/redeem", json{{"code", inv["code"]}, {"name", "on time"}}.dump(), false).status == 201);
}

TEST_CASE("local environments: redeem, running, exec, usage, kill switch", "[couch][env]") {
  couch_node c(std::vector<std::string>{"--couch-backend", "local"});
  auto g = c.redeem(c.ok("POST", "/couch/invites", invite_body, 201)["code"]);
  std::string id = g["guestId"], token = g["authToken"];
  auto running = c.await_guest(id, [](const json& j) { return j["status"] == "running"; });
  CHECK(running["agentEndpoint"].get<std::string>().find("/couch/guest/exec") != std::string::npos);

  auto exec = [&](const json& body) {
    auto r = c.call("POST", "/couch/guest/exec", body.dump(), false, "Authorization: Bearer " + token + "\r\n");
    INFO(r.body);
    return std::make_pair(r.status, json::parse(r.body));
  };
  auto [s1, first] = exec({{"command", "echo kept > note; pwd; id -u; cat note"}});
  CHECK(s1 == 200);
  CHECK(first["stdout"] == "/home/guest\n1000\nkept\n");
  CHECK(first["exitCode"] == 0);
  auto [s2, second] = exec({{"argv", {"/bin/cat", "note"}}});
  CHECK(second["stdout"] == "kept\n");  // the home persists between commands
  auto [s3, stdin_run] = exec({{"command", "wc -c"}, {"stdin", "12345"}});
  CHECK(stdin_run["stdout"] == "5\n");
  auto [s4, hidden] = exec({{"command", "ls /root /data 2>&1 | head -1; touch /usr/x 2>/dev/null || echo read-only"}});
  CHECK(hidden["stdout"].get<std::string>().find("read-only") != std::string::npos);
  auto [s5, bad] = exec({{"argv", {"relative"}}});
  CHECK(s5 == 400);
  CHECK(c.call("POST", "/couch/guest/exec", R"({"command":"true"})", false, "Authorization: Bearer guest_nope\r\n").status == 401);

  // Streamed: NDJSON lines as the command writes them, then its exit.
  auto streamed = run({"curl", "-sN", "--max-time", "30", "-X", "POST", c.n->url("/couch/guest/exec"), "-H",
                       "Authorization: Bearer " + token, "-d",
                       R"({"command":"echo one; sleep 0.2; echo two >&2; exit 3","stream":true})"});
  std::vector<json> lines;
  std::istringstream ndjson(streamed.out);
  for (std::string line; std::getline(ndjson, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == json({{"stdout", "one\n"}}));
  CHECK(lines[1] == json({{"stderr", "two\n"}}));
  CHECK(lines[2]["exit"]["exitCode"] == 3);

  auto status = c.ok("GET", "/couch/guests/" + id + "/status");
  CHECK(status["usage"]["cpuSeconds"].get<double>() > 0);
  CHECK(status["usage"]["memoryMB"].get<int>() >= 1);

  std::string home = c.dir.path() + "/data/guests/" + id;
  CHECK(std::filesystem::exists(home + "/home/note"));
  // A long command is running when the kill switch is pulled: it is stopped
  // and the environment's files are gone by the time the DELETE answers.
  auto long_run = std::async(std::launch::async, [&] { return exec({{"command", "sleep 30"}, {"timeoutSecs", 60}}); });
  bool started = false;
  for (int i = 0; i < 100 && !started; ++i) {  // bounded: the sleep shows up in the guest's cgroup-less process list
    auto ps = run({"pgrep", "-f", "^sleep 30$"});
    started = ps.status == 0;
    if (!started) std::this_thread::sleep_for(50ms);
  }
  CHECK(started);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(c.ok("DELETE", "/couch/guests/" + id)["status"] == "revoked");
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(!std::filesystem::exists(home));
  auto [killed_status, killed] = long_run.get();
  CHECK(killed_status == 200);
  CHECK(killed["ending"] == "cancelled");
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(run({"pgrep", "-f", "^sleep 30$"}).status != 0);  // no process left behind
  CHECK(c.call("POST", "/couch/guest/exec", R"({"command":"true"})", false, "Authorization: Bearer " + token + "\r\n").status == 401);
}

TEST_CASE("hearth invite, guest and redeem drive the couch from the command line", "[couch][cli]") {
  couch_node c;
  std::vector<std::string> target = {"--node", c.n->url(""), "--host-token-file", c.dir.path() + "/data/couch-host.token"};
  auto cli = [&](std::vector<std::string> args, bool host = true) {
    args.insert(args.begin(), hearth_bin);
    if (host) args.insert(args.end(), target.begin(), target.end());
    else args.insert(args.end(), {"--node", c.n->url("")});
    auto r = run(args);
    INFO(r.err);
    REQUIRE(r.status == 0);
    return json::parse(r.out);
  };
  auto inv = cli({"invite", "create", "--label", "cli", "--memory-mb", "256", "--token-budget", "10"});
  CHECK(inv["resourceLimits"]["maxMemoryMB"] == 256);
  CHECK(cli({"invite", "list", "--status", "active"})["invites"].size() == 1);
  auto g = cli({"redeem", inv["code"], "--name", "cli-guest"}, false);
  CHECK(g["status"] == "provisioning");
  std::string id = g["guestId"];
  CHECK(cli({"guest", "list"})["guests"][0]["name"] == "cli-guest");
  CHECK(cli({"guest", "status", id})["withinLimits"] == true);
  CHECK(cli({"guest", "kill", id})["status"] == "revoked");
  auto spare = cli({"invite", "create"});
  CHECK(cli({"invite", "revoke", spare["id"]})["status"] == "revoked");
  auto refused = run({hearth_bin, "invite", "list", "--node", c.n->url(""), "--host-token", "wrong"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("[unauthorized]") != std::string::npos);
  // As `hearth serve` does: the node from HEARTH_NODE, the host token from the data dir given.
  auto by_dir = run({hearth_bin, "invite", "list", "--data-dir", c.dir.path() + "/data"}, {"HEARTH_NODE=" + c.n->url("")});
  INFO(by_dir.err);
  CHECK(by_dir.status == 0);
  auto by_env = run({hearth_bin, "invite", "list"}, {"HEARTH_NODE=" + c.n->url(""), "HEARTH_DATA_DIR=" + c.dir.path() + "/data"});
  CHECK(by_env.status == 0);
  // hearth shell takes HEARTH_NODE too: a wrong guest token is the node's refusal, not a connection to :3000.
  auto shell = run({hearth_bin, "shell", "--token", "wrong"}, {"HEARTH_NODE=" + c.n->url("")});
  CHECK(shell.status == 1);
  CHECK(shell.err.find("127.0.0.1:3000") == std::string::npos);
  CHECK(shell.err.find("401") != std::string::npos);
}
