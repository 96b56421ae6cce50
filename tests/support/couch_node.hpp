// Test support: a real node with the couch, its host token, and the calls
// the couch tests make (host and guest), with a controllable clock.
// Header-only (uses Catch2).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <fstream>
#include <thread>

#include "support/raw_http.hpp"
#include "support/test_node.hpp"

namespace hearth::test {

struct couch_node {
  temp_dir dir;
  std::string clock_file = dir.file("clock-offset");
  std::vector<std::string> args;
  std::unique_ptr<node> n;
  std::string host_token;
  std::string bin = HEARTH_TEST_CLOCK_BIN;  // the CLI whose couch clock follows clock_file

  // Without an environment backend (the seed's behaviour): guests wait for activate.
  explicit couch_node(std::vector<std::string> extra = {"--couch-backend", "none"}, std::string binary = HEARTH_TEST_CLOCK_BIN)
      : args(std::move(extra)), bin(std::move(binary)) {
    set_clock_offset_hours(0);
    start();
  }
  // A graceful stop: the node unmounts its guests' homes.
  ~couch_node() {
    if (!n) return;
    n->proc->signal(SIGTERM);
    (void)n->proc->wait_exit(30s);
  }
  void start() {
    ::setenv("HEARTH_TEST_CLOCK_OFFSET_FILE", clock_file.c_str(), 1);
    n = std::make_unique<node>(dir.path() + "/data", args, bin);
    std::ifstream in(dir.path() + "/data/couch-host.token");
    std::getline(in, host_token);
    REQUIRE(host_token.size() >= 40);
  }
  void restart() {
    n->stop(SIGTERM);
    start();
  }
  void set_clock_offset_hours(double h) { std::ofstream(clock_file) << static_cast<long long>(h * 3600 * 1000); }

  response call(const std::string& method, const std::string& path, const std::string& body = "", bool host = true,
                const std::string& extra = "") {
    raw_connection c(n->port);
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    if (host) req += "Authorization: Bearer " + host_token + "\r\n";
    req += extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    c.send(req);
    auto r = c.read_response(30s);
    REQUIRE(r);
    return *r;
  }
  json ok(const std::string& method, const std::string& path, const json& body = nullptr, int status = 200) {
    auto r = call(method, path, body.is_null() ? "" : body.dump());
    INFO(method << " " << path << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == status);
    return json::parse(r.body);
  }
  json redeem(const std::string& code, const std::string& name = "ty") {
    auto r = call("POST", "/couch/redeem", json{{"code", code}, {"name", name}}.dump(), false);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return json::parse(r.body);
  }
  // Polls the guest's status until pred holds (bounded: the sweep runs every 250 ms).
  template <class Pred>
  json await_guest(const std::string& id, Pred pred) {
    json g;
    for (int i = 0; i < 200; ++i) {
      g = ok("GET", "/couch/guests/" + id + "/status");
      if (pred(g)) return g;
      std::this_thread::sleep_for(50ms);
    }
    FAIL("the guest never reached the expected state: " << g.dump());
    return g;
  }
};

const json invite_body = {{"createdBy", "noah"},
                          {"label", "for ty"},
                          {"resourceLimits",
                           {{"maxCpuCores", 2},
                            {"maxMemoryMB", 512},
                            {"maxDiskGB", 1},
                            {"maxNetworkEgressGB", 1},
                            {"maxDurationHours", 2},
                            {"maxTokenBudget", 1000}}},
                          {"permissions", {{"canAccessInternet", false}, {"canSpawnSubAgents", true}}},
                          {"expiresInHours", 1}};

}  // namespace hearth::test
