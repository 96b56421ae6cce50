// kill -9 under load: a node taking paid CGI calls, MCP calls and invite
// redemptions at once is SIGKILLed at a random point, five times, and
// restarted on the same data dir each time. After every restart: RocksDB
// opens; every payment the node knows is settled (its task's output kept)
// or unsettled with a reason, and every call answered 200 was settled; no
// payment is accepted twice (each replays as payment_replayed) and the
// ledger holds each settled one once; no invite is redeemed twice and every
// guest answered 201 is there; no sandboxed process of the killed node is
// left; guests come back running (their homes re-mounted, none extra) or
// failed with a reason; no run cgroup of a killed node is left once the
// node after it has run something. The figures are printed.
//
// Marketplace jobs under a killed seller or hub: market_test and
// cluster_test ("a seller killed with SIGKILL...", "a restarted hub...").
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "protocols/json_fields.hpp"
#include "support/raw_http.hpp"
#include "support/test_node.hpp"
#include "support/x402_payer.hpp"

using namespace hearth;
using namespace hearth::test;
using nlohmann::json;

namespace {

constexpr int kills = 5;
// Each worker's bound per round: more than it can send before the kill
// (at most 2.5 s in), so the kill always lands under load.
constexpr std::size_t attempts_per_worker = 400;
constexpr std::size_t invites_per_round = 12;

struct paid_attempt {
  std::string header, id, query;
  int status = 0;  // 0: no answer (the node died first)
};

struct redeem_attempt {
  std::string code;
  int status = 0;
  std::string guest;
};

// What the workers saw, under a mutex (Catch2's assertions stay on the main thread).
struct observed {
  std::mutex m;
  std::vector<paid_attempt> paid;
  std::vector<redeem_attempt> redeems;
  std::size_t mcp_answers = 0, mcp_lost = 0, mcp_bad = 0;
  std::size_t running_at_kills = 0;  // sandboxed processes alive when the node was killed
};

std::string post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// One request on a fresh connection; nullopt when the node is gone (a
// worker's connect after the kill), never a throw.
std::optional<response> try_exchange(std::uint16_t port, const std::string& request) {
  try {
    return http_exchange(port, request);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The pids of processes whose environment holds marker (a CGI program sees
// the buyer's X-Crash-Marker header as HTTP_X_CRASH_MARKER).
std::vector<int> marked_processes(const std::string& marker) {
  std::vector<int> out;
  std::string needle = "HTTP_X_CRASH_MARKER=" + marker;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream f("/proc/" + std::string(e->d_name) + "/environ", std::ios::binary);
    std::string env((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (env.find(needle) != std::string::npos) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

// The run cgroups a node process made (sandbox/cgroup.cpp names them
// run-<pid>-<n> under each hierarchy's hearth/).
std::size_t run_cgroups_of(int pid) {
  std::size_t n = 0;
  std::string prefix = "run-" + std::to_string(pid) + "-";
  std::vector<std::string> bases = {"/sys/fs/cgroup/hearth"};
  if (DIR* root = ::opendir("/sys/fs/cgroup")) {
    while (auto* e = ::readdir(root)) bases.push_back(std::string("/sys/fs/cgroup/") + e->d_name + "/hearth");
    ::closedir(root);
  }
  for (const auto& base : bases) {
    DIR* d = ::opendir(base.c_str());
    if (!d) continue;
    while (auto* e = ::readdir(d)) n += std::string(e->d_name).rfind(prefix, 0) == 0;
    ::closedir(d);
  }
  return n;
}

std::size_t mounts_under(const std::string& dir) {
  std::ifstream f("/proc/self/mountinfo");
  std::size_t n = 0;
  for (std::string line; std::getline(f, line);) {
    std::istringstream fields(line);
    std::string id, parent, devs, root, point;
    fields >> id >> parent >> devs >> root >> point;
    n += point.rfind(dir, 0) == 0;
  }
  return n;
}

struct crash_node {
  temp_dir dir;
  std::vector<std::string> args{"--payment-networks", "base-sepolia", "--couch-backend", "local"};
  std::unique_ptr<node> n;
  std::string key;

  crash_node() { start(); }
  ~crash_node() {
    if (n) n->stop(SIGTERM);  // a graceful stop unmounts the guests' homes
  }
  std::string data() const { return dir.path() + "/data"; }
  void start() {
    n = std::make_unique<node>(data(), args);
    key = "@" + data() + "/node.key";
  }
};

// Runs the load until the node stops answering or each worker reaches its bound.
void load(const crash_node& c, const payments::offered& price, const std::string& paid_offer,
          const std::string& marker, int round, observed& seen) {
  std::uint16_t port = c.n->port;
  std::string host = c.n->owner_header();
  auto payer = [&, port](int worker) {
    for (std::size_t i = 0; i < attempts_per_worker; ++i) {
      paid_attempt a;
      a.header = sign(price);
      a.id = payment_id_of(a.header);
      a.query = "r" + std::to_string(round) + "w" + std::to_string(worker) + "i" + std::to_string(i) + "&d=0.0" +
                std::to_string(i % 8);  // the run takes 0 to 70 ms
      auto r = try_exchange(port, "GET /" + paid_offer + ".cgi/?" + a.query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                       "X-Crash-Marker: " + marker + "\r\n" + header_line(price, a.header) + "\r\n\r\n");
      a.status = r ? r->status : 0;
      std::lock_guard<std::mutex> lock(seen.m);
      seen.paid.push_back(a);
      if (!r) return;
    }
  };
  auto mcp = [&, port] {
    for (std::size_t i = 0; i < attempts_per_worker; ++i) {
      json call = {{"jsonrpc", "2.0"}, {"id", i}, {"method", "tools/call"},
                   {"params", {{"name", "word_count"}, {"arguments", {{"text", "a b " + std::to_string(i)}}}}}};
      auto r = try_exchange(port, post("/mcp", call.dump(), "Accept: application/json, text/event-stream\r\n"));
      std::lock_guard<std::mutex> lock(seen.m);
      if (!r) return void(++seen.mcp_lost);
      auto answer = json::parse(r->body, nullptr, false);
      bool fine = r->status == 200 && answer.is_object() && answer.contains("result");
      ++(fine ? seen.mcp_answers : seen.mcp_bad);
    }
  };
  auto guests = [&, port, host] {
    for (std::size_t i = 0; i < invites_per_round; ++i) {
      auto invite = try_exchange(port, post("/couch/invites", R"({"resourceLimits":{"maxDiskGB":1}})",
                                             host + "\r\n"));
      if (!invite) return;
      auto code = json::parse(invite->body, nullptr, false);
      if (invite->status != 201 || !code.contains("code")) continue;
      redeem_attempt a{code["code"], 0, ""};
      auto r = try_exchange(port, post("/couch/redeem", json{{"code", a.code}, {"name", "g"}}.dump()));
      a.status = r ? r->status : 0;
      auto body = r ? json::parse(r->body, nullptr, false) : json();
      if (r && r->status == 201 && body.is_object()) a.guest = protocols::text_or(body, "guestId");
      // As a guest's client would: wait for its environment before the next invite.
      for (int poll = 0; poll < 100 && !a.guest.empty(); ++poll) {  // bounded: a home takes well under a second
        auto s = try_exchange(port, "GET /couch/guests/" + a.guest + "/status HTTP/1.1\r\nHost: 127.0.0.1\r\n" + host +
                                         "\r\n\r\n");
        if (!s || s->body.find("\"provisioning\"") == std::string::npos) break;
        std::this_thread::sleep_for(10ms);
      }
      std::lock_guard<std::mutex> lock(seen.m);
      seen.redeems.push_back(a);
      if (!r) return;
    }
  };
  std::vector<std::thread> workers;
  workers.emplace_back(payer, 0);
  workers.emplace_back(payer, 1);
  workers.emplace_back(mcp);
  workers.emplace_back(guests);
  // The kill point: a random moment while the load runs.
  std::mt19937 rng(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 2500)(rng)));
  std::size_t alive = marked_processes(marker).size();
  c.n->proc->signal(SIGKILL);
  (void)c.n->proc->wait_exit(30s);
  for (auto& w : workers) w.join();
  seen.running_at_kills += alive;
}

json owner_json(const node& n, const std::string& path, int* status = nullptr) {
  auto r = call(n, path, {n.owner_header()});
  if (status) *status = r.status;
  return json::parse(r.body, nullptr, false);
}

}  // namespace

TEST_CASE("kill -9 under load: no paid task lost, no payment or invite used twice, nothing left behind", "[crash]") {
  crash_node c;
  auto hash = offer_script(*c.n, c.key,
                           write_script(c.dir, "paid.cgi",
                                        "printf 'Content-Type: text/plain\\n\\n'\nsleep \"${QUERY_STRING##*d=}\"\n"
                                        "echo \"paid $QUERY_STRING\"\n"),
                           {"--price", "0.01"});
  auto tool = run({hearth_bin, "offer", "--exe", WORD_COUNT, "--mcp", "--price", "0", "--key", c.key, "--upload",
                   c.n->url("")});
  INFO(tool.err);
  REQUIRE(tool.status == 0);
  auto price = challenge_entry(*c.n, "/" + hash + ".cgi/");

  observed seen;
  std::vector<int> killed;
  std::size_t cgroups_after_kills = 0;  // what the kills left for the sweep
  std::size_t checked_paid = 0, settled = 0, unsettled = 0, replays = 0, answered = 0, mounted = 0;
  std::map<std::string, std::string> guest_of_code;
  for (int round = 0; round < kills; ++round) {
    std::string marker = "crash" + std::to_string(::getpid()) + "r" + std::to_string(round);
    std::size_t first_paid = seen.paid.size(), first_redeem = seen.redeems.size();
    killed.push_back(c.n->proc->pid());
    load(c, price, hash, marker, round, seen);

    // Nothing the killed node ran is left (the sandbox's init dies with it).
    std::vector<int> left;
    for (int i = 0; i < 100; ++i) {  // bounded: PDEATHSIG is delivered at once; reaping takes a moment
      left = marked_processes(marker);
      if (left.empty()) break;
      std::this_thread::sleep_for(100ms);
    }
    INFO("round " << round << ": processes of the killed node left: " << left.size());
    CHECK(left.empty());

    cgroups_after_kills += run_cgroups_of(killed.back());
    c.start();  // RocksDB opens on what the kill left
    for (std::size_t i = first_paid; i < seen.paid.size(); ++i) {
      const auto& a = seen.paid[i];
      int status = 0;
      auto record = owner_json(*c.n, "/payments/" + a.id, &status);
      INFO("payment " << a.id << " answered " << a.status << ": " << record.dump());
      CHECK(a.status != 402);  // every payment was fresh and valid
      if (a.status == 200) ++answered;
      if (status == 404) {
        CHECK(a.status != 200);  // an answered paid call is on record
        continue;
      }
      REQUIRE(status == 200);
      ++checked_paid;
      std::string state = record["state"];
      CHECK((state == "settled" || state == "unsettled"));
      if (a.status == 200) CHECK(state == "settled");
      if (state == "settled") {
        ++settled;
        CHECK(!record["ledger_entry"].get<std::string>().empty());
        int task_status = 0;
        owner_json(*c.n, "/tasks/" + record["task"].get<std::string>(), &task_status);
        CHECK(task_status == 200);
        auto out = call(*c.n, "/tasks/" + record["task"].get<std::string>() + "/stdout", {c.n->owner_header()});
        CHECK(out.body.find("paid " + a.query) != std::string::npos);  // the paid task's output is kept
      } else {
        ++unsettled;
        CHECK(!record["note"].get<std::string>().empty());
      }
      auto again = call(*c.n, "/" + hash + ".cgi/?replay", {header_line(price, a.header)});
      CHECK(refusal_reason(again) == "payment_replayed");
      ++replays;
    }
    CHECK(ledger_size(*c.n) == settled);  // each settled payment charged once

    for (std::size_t i = first_redeem; i < seen.redeems.size(); ++i) {
      auto& a = seen.redeems[i];
      auto again = http_exchange(c.n->port, post("/couch/redeem", json{{"code", a.code}, {"name", "again"}}.dump()));
      REQUIRE(again);
      INFO("invite first answered " << a.status << ", again " << again->status << ": " << again->body);
      if (a.status == 201) CHECK(again->status == 409);
      CHECK((again->status == 409 || again->status == 201));
      if (again->status == 201) a.guest = protocols::text_or(json::parse(again->body, nullptr, false), "guestId");
      if (!a.guest.empty()) guest_of_code[a.code] = a.guest;
    }
    auto guests = owner_json(*c.n, "/couch/guests?limit=1000")["guests"];
    std::set<std::string> invites_used, listed;
    for (const auto& g : guests) {
      CHECK(invites_used.insert(g["inviteId"].get<std::string>()).second);  // one guest per invite
      listed.insert(g["id"].get<std::string>());
    }
    for (const auto& [code, guest] : guest_of_code) CHECK(listed.count(guest) == 1);

    // Guests come back: running again, or failed with the reason.
    std::size_t running = 0;
    for (const auto& id : listed) {
      json s;
      for (int i = 0; i < 300; ++i) {  // bounded: a home is provisioned in well under a second
        s = owner_json(*c.n, "/couch/guests/" + id + "/status");
        if (s.value("status", "") != "provisioning") break;
        std::this_thread::sleep_for(100ms);
      }
      INFO(s.dump());
      CHECK(s.value("status", "") != "provisioning");
      if (s.value("status", "") == "running") ++running;
      if (s.value("status", "") == "failed") CHECK(!s["reason"].is_null());
    }
    mounted = mounts_under(c.data());
    INFO(running << " guests running, " << mounted << " homes mounted");
    CHECK(mounted <= running);  // no home mounted for a guest that is gone
  }
  // A run on the last node sweeps the cgroups the killed ones left.
  auto run = call(*c.n, "/" + hash + ".cgi/?after&d=0", {header_line(price, sign(price))});
  CHECK(run.status == 200);
  for (int pid : killed) {
    INFO("cgroups left by killed node " << pid);
    CHECK(run_cgroups_of(pid) == 0);
  }
  std::lock_guard<std::mutex> lock(seen.m);
  std::cout << "crash_test: " << kills << " kills; " << seen.paid.size() << " paid calls sent, " << answered
            << " answered 200; " << checked_paid << " payments checked (" << settled << " settled, " << unsettled
            << " unsettled), " << replays << " replays refused; " << seen.mcp_answers << " MCP answers, "
            << seen.mcp_lost << " cut by a kill, " << seen.mcp_bad << " bad; " << seen.redeems.size()
            << " invites redeemed, " << guest_of_code.size() << " guests, " << mounted << " homes mounted at the end; " << seen.running_at_kills << " sandboxed processes alive at the kills, none after; " << cgroups_after_kills
            << " run cgroups left by the kills, none after the sweep"
            << std::endl;
  CHECK(seen.mcp_bad == 0);
  CHECK(answered > 0);
  CHECK(settled > 0);
}
