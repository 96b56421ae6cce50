// Several real nodes as one cluster, each a separate `hearth serve` whose
// cluster listener is on its own loopback address (127.0.0.2, .3, ...; the
// processes share this host's network namespace), joined over CAF's
// middleman with mutual TLS from a private CA the real `hearth cluster`
// made: calls for an offer held elsewhere (free, paid, streamed, MCP), an
// offer replicated by `hearth offer --replicas`, a member killed and restarted, a late joiner, a peer of another CA, a
// couch guest and a marketplace job placed on another member (its SSH relayed, its loss with its seller or its
// member, its reconciliation), and one
// payment sent to two members at once.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "crypto/base64.hpp"
#include "crypto/secp256k1_key.hpp"
#include "messages/clock.hpp"
#include "payments/buyer.hpp"
#include "support/raw_http.hpp"
#include "support/skip.hpp"
#include "support/test_node.hpp"

using namespace hearth;
using namespace hearth::test;
using nlohmann::json;

namespace {

const std::string owner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const std::string owner_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const std::string buyer_key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";


// The cluster's CA and a certificate for each node, made with `hearth cluster`.
struct cluster_certs {
  temp_dir dir;
  cluster_certs() {
    REQUIRE(run({hearth_bin, "cluster", "ca", "--out", dir.file("ca")}).status == 0);
    REQUIRE(run({hearth_bin, "cluster", "ca", "--out", dir.file("rogue-ca")}).status == 0);
  }
  std::vector<std::string> args(const std::string& name, const std::string& ip, const std::string& ca = "ca") {
    std::string out = dir.file(ca + "-" + name);
    if (!std::filesystem::exists(out)) {
      auto made = run({hearth_bin, "cluster", "cert", "--ca", dir.file(ca), "--name", name, "--ip", ip, "--out", out});
      INFO(made.err);
      REQUIRE(made.status == 0);
    }
    return {"--cluster-listen", ip + ":0", "--cluster-name", name, "--cluster-cert", out + "/" + name + ".pem",
            "--cluster-key", out + "/" + name + ".key", "--cluster-ca", dir.file("ca/ca.pem"),
            "--cluster-heartbeat-ms", "200", "--payment-networks", "base-sepolia,base", "--owner", owner};
  }
};

// A member: a node whose cluster address is read off its log.
struct member {
  std::unique_ptr<node> n;
  std::string cluster_address;
  std::string name;

  member(const std::string& data_dir, const std::string& name, std::vector<std::string> args, const std::vector<std::string>& join = {})
      : name(name) {
    for (const auto& j : join) args.insert(args.end(), {"--join", j});
    n = std::make_unique<node>(data_dir, args);
    std::smatch m;
    const std::string& log = n->proc->output();
    REQUIRE(std::regex_search(log, m, std::regex(R"(cluster listening address=(\S+))")));
    cluster_address = m[1];
  }
  node& operator*() const { return *n; }
  node* operator->() const { return n.get(); }
};

json cluster_view(const node& n) {
  auto r = request(n, "GET", "/cluster");
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

// Whether n sees member `name` in `state`, holding `offer` (when given).
bool sees(const node& n, const std::string& name, const std::string& state, const std::string& offer = "") {
  auto view = cluster_view(n);
  for (const auto& m : view["members"])
    if (m["name"] == name && m["state"] == state &&
        (offer.empty() || std::find(m["offers"].begin(), m["offers"].end(), offer) != m["offers"].end()))
      return true;
  return false;
}

// Polls a condition over HTTP until it holds or the deadline passes (the
// cluster's heartbeat is 200 ms: a member's word takes a beat to spread).
template <class F>
bool eventually(F condition, std::chrono::milliseconds deadline = 15s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

std::string upload(const node& n, const std::vector<std::string>& args) {
  std::vector<std::string> argv{hearth_bin, "offer", "--key", owner_key, "--upload", n.url("")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return r.out.substr(0, 64);
}

std::string error_code_of(const response& r) {
  auto j = json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

std::string sign_for(const response& challenge) {
  REQUIRE(challenge.status == 402);
  auto entries = payments::parse_challenge(challenge.header("payment-required"), "");
  REQUIRE(entries);
  for (const auto& e : *entries)
    if (e.network_name == "eip155:84532") {
      auto header = payments::sign_payment(e, *crypto::private_key::from_hex(buyer_key), unix_secs());
      REQUIRE(header);
      return "PAYMENT-SIGNATURE: " + *header;
    }
  FAIL("no base-sepolia requirement");
  return {};
}

std::size_t ledger_size(const node& n) {
  auto r = request(n, "GET", "/payments/ledger?limit=1000", "", {n.owner_header()});
  REQUIRE(r.status == 200);
  return json::parse(r.body)["entries"].size();
}

}  // namespace

TEST_CASE("three members: calls travel to the holder; a member killed fails fast, restarts and rejoins", "[cluster]") {
  cluster_certs certs;
  temp_dir dir;
  member a(dir.file("a"), "a", certs.args("a", "127.0.0.2"));
  member b(dir.file("b"), "b", certs.args("b", "127.0.0.3"), {a.cluster_address});
  member c(dir.file("c"), "c", certs.args("c", "127.0.0.4"), {a.cluster_address});

  std::string echo = write_script(dir, "echo.cgi", "printf 'Content-Type: text/plain\\n\\n'\necho \"q=$QUERY_STRING\"\ncat\n");
  std::string big = write_script(dir, "big.cgi", "printf 'Content-Type: text/plain\\n\\n'\nhead -c 300000 /dev/zero | tr '\\0' 'x'\n");
  auto free_hash = upload(*a, {"--exe", echo, "--cgi", "--price", "0"});
  auto paid_hash = upload(*a, {"--exe", echo, "--cgi", "--price", "0.01", "--name", "paid-echo"});
  auto big_hash = upload(*a, {"--exe", big, "--cgi", "--price", "0"});
  auto tool_hash = upload(*a, {"--exe", WORD_COUNT, "--mcp", "--price", "0.01"});
  auto b_hash = upload(*b, {"--exe", echo, "--cgi", "--price", "0", "--name", "b-echo"});
  for (const auto& h : {free_hash, paid_hash, big_hash, tool_hash}) REQUIRE(eventually([&] { return sees(*c, "a", "up", h); }));
  REQUIRE(eventually([&] { return sees(*c, "b", "up", b_hash); }));
  CHECK(request(*c, "GET", "/offers/" + free_hash).status == 404);  // C holds none of A's offers

  // Replicated: A and one other member hold it (more than the members up is refused).
  REQUIRE(eventually([&] { return sees(*a, "b", "up") && sees(*a, "c", "up"); }));
  auto too_many = run({hearth_bin, "offer", "--key", owner_key, "--upload", a->url(""), "--replicas", "4", "--exe", echo,
                       "--cgi", "--price", "0"});
  CHECK(too_many.status != 0);
  CHECK(too_many.err.find("the cluster has 3 members up") != std::string::npos);
  auto replicated = upload(*a, {"--exe", echo, "--cgi", "--price", "0", "--name", "replicated", "--replicas", "2"});
  CHECK((request(*b, "GET", "/offers/" + replicated).status == 200) + (request(*c, "GET", "/offers/" + replicated).status == 200) == 1);

  SECTION("free, streamed, paid and MCP calls through C run on A") {
    auto r = request(*c, "POST", "/" + free_hash + ".cgi/x?hi=1", "body through c");
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(r.body == "q=hi=1\nbody through c");
    CHECK(!r.header("x-hearth-task").empty());

    // A large answer streams back to C's client as A's program writes it.
    auto large = run({"curl", "-sS", "--max-time", "60", "-D", dir.file("headers"), "-o", dir.file("body"), "-w",
                      "%{http_code} %{size_download}", c->url("/" + big_hash + ".cgi/")});
    CHECK(large.out == "200 300000");
    CHECK(read_text(dir.file("body")) == std::string(300000, 'x'));
    auto headers = read_text(dir.file("headers"));
    CHECK(headers.find("Transfer-Encoding: chunked") != std::string::npos);
    CHECK(headers.find("; streamed") != std::string::npos);

    auto unpaid = request(*c, "GET", "/" + paid_hash + ".cgi/");
    CHECK(unpaid.status == 402);
    auto paid = request(*c, "GET", "/" + paid_hash + ".cgi/?paid", "", {sign_for(unpaid)});
    INFO(paid.body);
    CHECK(paid.status == 200);
    CHECK(paid.body == "q=paid\n");
    CHECK(!paid.header("payment-response").empty());
    CHECK(ledger_size(*a) == 1);  // held and settled where it ran
    CHECK(ledger_size(*c) == 0);

    auto listed = run({hearth_bin, "mcp", "list", "--@", c->url("")});
    CHECK(listed.out.find("word_count\t") != std::string::npos);
    std::string key_file = dir.file("buyer.key");
    std::ofstream(key_file) << buyer_key << "\n";
    auto tool = run({hearth_bin, "mcp", "call", "word_count", "-a", "text=1 2 3", "--@", c->url(""), "--key", "@" + key_file});
    INFO(tool.err);
    CHECK(tool.status == 0);
    CHECK(json::parse(tool.out) == json({{"words", 3}, {"lines", 1}, {"characters", 5}}));
    CHECK(ledger_size(*a) == 2);

    // X-402-Key (the node signing with a raw key) is never sent across the cluster.
    auto keyed = request(*c, "GET", "/" + paid_hash + ".cgi/", "", {"X-402-Key: " + buyer_key, "X-402-Max: 0.02"});
    CHECK(keyed.status == 403);
    CHECK(error_code_of(keyed) == "x402_key_not_loopback");
  }

  SECTION("A killed: calls for its offers fail fast, B serves on; A restarted rejoins; a late joiner sees all") {
    CHECK(request(*c, "GET", "/" + free_hash + ".cgi/").status == 200);
    a->proc->signal(SIGKILL);
    REQUIRE(a->proc->wait_exit(10s));
    auto started = std::chrono::steady_clock::now();
    auto down = request(*c, "GET", "/" + free_hash + ".cgi/");
    auto took = std::chrono::steady_clock::now() - started;
    INFO(down.body);
    CHECK(down.status == 503);
    CHECK(error_code_of(down) == "offer_unavailable");
    CHECK(took < 3s);
    CHECK(eventually([&] { return sees(*c, "a", "gone"); }));
    // B serves on. The instant A dies, CAF 0.17.6 may drop the B-C connection
    // too (both reconnect within milliseconds), so a call then can get a 503.
    CHECK(eventually([&] { return request(*c, "GET", "/" + b_hash + ".cgi/").status == 200; }));
    CHECK(request(*b, "GET", "/" + b_hash + ".cgi/").status == 200);
    // The replicated offer keeps serving from its other holder.
    CHECK(eventually([&] { return request(*c, "GET", "/" + replicated + ".cgi/?r").body == "q=r\n"; }));

    // A comes back on its own data (offers intact), joining through B; C learns of it from B.
    member again(dir.file("a"), "a", certs.args("a", "127.0.0.2"), {b.cluster_address});
    REQUIRE(eventually([&] { return sees(*c, "a", "up", free_hash); }));
    auto back = request(*c, "GET", "/" + free_hash + ".cgi/?back");
    CHECK(back.status == 200);
    CHECK(back.body == "q=back\n");

    // D joins through B alone and learns the whole directory.
    member d(dir.file("d"), "d", certs.args("d", "127.0.0.5"), {b.cluster_address});
    CHECK(eventually([&] { return sees(*d, "a", "up", free_hash) && sees(*d, "b", "up", b_hash) && sees(*d, "c", "up"); }));
    CHECK(request(*d, "GET", "/" + free_hash + ".cgi/?d").body == "q=d\n");
    auto status = run({hearth_bin, "cluster", "status", "--node", d->url("")});
    CHECK(status.out.find("a\tup\t") != std::string::npos);
    CHECK(status.out.find("d\tself\t") != std::string::npos);
    CHECK(again->stop(SIGTERM) == 0);
    CHECK(d->stop(SIGTERM) == 0);
  }
  CHECK(b->stop(SIGTERM) == 0);
  CHECK(c->stop(SIGTERM) == 0);
}

TEST_CASE("one payment sent to two members at the same instant runs once", "[cluster][x402]") {
  cluster_certs certs;
  temp_dir dir;
  member a(dir.file("a"), "a", certs.args("a", "127.0.0.2"));
  member c(dir.file("c"), "c", certs.args("c", "127.0.0.4"), {a.cluster_address});
  std::string echo = write_script(dir, "echo.cgi", "printf 'Content-Type: text/plain\\n\\n'\necho \"q=$QUERY_STRING\"\n");
  auto hash = upload(*a, {"--exe", echo, "--cgi", "--price", "0.01"});
  REQUIRE(eventually([&] { return sees(*c, "a", "up", hash); }));
  auto payment = sign_for(request(*c, "GET", "/" + hash + ".cgi/"));
  for (int round = 0; round < 3; ++round) {
    if (round > 0) payment = sign_for(request(*a, "GET", "/" + hash + ".cgi/"));
    auto at_a = std::async(std::launch::async, [&] { return request(*a, "GET", "/" + hash + ".cgi/?via=a", "", {payment}); });
    auto at_c = std::async(std::launch::async, [&] { return request(*c, "GET", "/" + hash + ".cgi/?via=c", "", {payment}); });
    auto ra = at_a.get(), rc = at_c.get();
    CHECK((ra.status == 200) + (rc.status == 200) == 1);
    CHECK((ra.status == 402) + (rc.status == 402) == 1);
  }
  CHECK(ledger_size(*a) == 3);
  CHECK(ledger_size(*c) == 0);
  CHECK(a->stop(SIGTERM) == 0);
  CHECK(c->stop(SIGTERM) == 0);
}

TEST_CASE("the cluster lets in only peers with a certificate of its CA, and TLS or nothing", "[cluster]") {
  cluster_certs certs;
  temp_dir dir;
  member a(dir.file("a"), "a", certs.args("a", "127.0.0.2"));
  // A certificate of another CA (trusting ours, so only A's check can refuse it).
  auto rogue_args = certs.args("x", "127.0.0.6", "rogue-ca");
  member x(dir.file("x"), "x", rogue_args, {a.cluster_address});
  CHECK(x->proc->wait_for_line("cannot reach " + a.cluster_address, 15s));
  CHECK(!sees(*a, "x", "up"));
  CHECK(cluster_view(*a)["members"].size() == 1);
  CHECK(cluster_view(*x)["members"].size() == 1);

  // Without all three of certificate, key and CA a clustered node does not start.
  auto no_ca = run({hearth_bin, "serve", "--data-dir", dir.file("y"), "--listen", "127.0.0.1:0", "--cluster-listen",
                    "127.0.0.7:0", "--cluster-cert", rogue_args[5], "--cluster-key", rogue_args[7]});
  CHECK(no_ca.status != 0);
  CHECK(no_ca.err.find("--cluster-ca") != std::string::npos);
  auto wildcard = run({hearth_bin, "serve", "--data-dir", dir.file("z"), "--listen", "127.0.0.1:0", "--cluster-listen",
                       "0.0.0.0:0", "--cluster-cert", rogue_args[5], "--cluster-key", rogue_args[7], "--cluster-ca",
                       rogue_args[9]});
  CHECK(wildcard.status != 0);
  CHECK(wildcard.err.find("private interface") != std::string::npos);
  CHECK(x->stop(SIGTERM) == 0);
  CHECK(a->stop(SIGTERM) == 0);
}

namespace {

// A couch call to a member: the host's (its host token) or a guest's.
json couch_ok(const node& n, const std::string& method, const std::string& path, const json& body, int status,
              const std::string& auth) {
  auto r = request(n, method, path, body.is_null() ? "" : body.dump(),
                   {"Content-Type: application/json", "Authorization: Bearer " + auth});
  INFO(method << " " << path << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == status);
  return json::parse(r.body);
}

// An invite made on n with maxMemoryMB, redeemed there; the guest once running.
json guest_on(const node& n, int memory_mb) {
  json invite = {{"createdBy", "host"}, {"label", "cluster"}, {"expiresInHours", 1},
                 {"resourceLimits", {{"maxMemoryMB", memory_mb}, {"maxDiskGB", 1}, {"maxCpuCores", 1}}}};
  auto code = couch_ok(n, "POST", "/couch/invites", invite, 201, n.host_token())["code"].get<std::string>();
  auto r = request(n, "POST", "/couch/redeem", json{{"code", code}, {"name", "ty"}}.dump(), {"Content-Type: application/json"});
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto g = json::parse(r.body);
  json status;
  REQUIRE(eventually([&] {
    status = couch_ok(n, "GET", "/couch/guests/" + g["guestId"].get<std::string>() + "/status", nullptr, 200, n.host_token());
    return status["status"] != "provisioning";
  }));
  INFO(status.dump());
  REQUIRE(status["status"] == "running");
  status["authToken"] = g["authToken"];
  return status;
}

}  // namespace

TEST_CASE("a guest that does not fit its invite's node is placed on a member with room", "[cluster][couch]") {
  cluster_certs certs;
  temp_dir data;
  // a offers guests 256 MB, b the host's memory.
  member a(data.file("a"), "a", [&] {
    auto args = certs.args("a", "127.0.0.2");
    args.insert(args.end(), {"--couch-capacity-mb", "256"});
    return args;
  }());
  member b(data.file("b"), "b", certs.args("b", "127.0.0.3"), {a.cluster_address});
  REQUIRE(eventually([&] { return sees(*a, "b", "up") && sees(*b, "a", "up"); }));
  auto room_of_b = [&] {
    auto view = cluster_view(*a);
    for (const auto& m : view["members"])
      if (m["name"] == "b") return m.value("guest_room_mb", std::uint64_t{0});
    return std::uint64_t{0};
  };
  REQUIRE(eventually([&] { return room_of_b() > 1024; }));

  // 128 MB fits a: its home is a. 1024 MB does not: b.
  auto small = guest_on(*a, 128);
  CHECK(small["homeNode"] == "a");
  auto big = guest_on(*a, 1024);
  CHECK(big["homeNode"] == "b");
  std::string id = big["guestId"], token = big["authToken"];
  CHECK(std::filesystem::exists(b->data_dir + "/guests/" + id));
  CHECK(!std::filesystem::exists(a->data_dir + "/guests/" + id));

  // The guest uses a, as it was told; its commands run in b's environment.
  auto out = couch_ok(*a, "POST", "/couch/guest/exec", {{"command", "echo $((6*7)) > note; cat note; pwd"}, {"timeoutSecs", 20}},
                      200, token);
  CHECK(out["stdout"] == "42\n/home/guest\n");
  CHECK(std::filesystem::exists(b->data_dir + "/guests/" + id + "/home/note"));
  auto shell = run({hearth_bin, "shell", "--node", a->url("")}, {"HEARTH_GUEST_TOKEN=" + token},
                   "cat note; echo via-$((3*4))\nexit 7\n");
  CHECK(shell.out.find("42") != std::string::npos);
  CHECK(shell.out.find("via-12") != std::string::npos);
  CHECK(shell.status == 7);
  // Its usage is sampled on b and kept on a.
  CHECK(eventually([&] {
    return couch_ok(*a, "GET", "/couch/guests/" + id + "/status", nullptr, 200, a->host_token())["usage"].value("cpuSeconds", 0.0) > 0;
  }));

  // The host's kill switch on a removes the environment on b before it answers.
  CHECK(couch_ok(*a, "DELETE", "/couch/guests/" + id, nullptr, 200, a->host_token())["status"] == "revoked");
  CHECK(!std::filesystem::exists(b->data_dir + "/guests/" + id));
  auto after = request(*a, "POST", "/couch/guest/exec", json{{"command", "true"}}.dump(),
                       {"Content-Type: application/json", "Authorization: Bearer " + token});
  CHECK(after.status == 401);

  // With b gone, a's guest homed there answers 503 home_unavailable, and a
  // new big guest has nowhere to go but a.
  auto second = guest_on(*a, 1024);
  REQUIRE(second["homeNode"] == "b");
  b->proc->signal(SIGKILL);
  (void)b->proc->wait_exit(10s);
  REQUIRE(eventually([&] { return sees(*a, "b", "gone"); }));
  auto unreachable = request(*a, "POST", "/couch/guest/exec", json{{"command", "true"}}.dump(),
                             {"Content-Type: application/json", "Authorization: Bearer " + second["authToken"].get<std::string>()});
  CHECK(unreachable.status == 503);
  CHECK(error_code_of(unreachable) == "home_unavailable");
  CHECK(guest_on(*a, 1024)["homeNode"] == "a");
  CHECK(couch_ok(*a, "DELETE", "/couch/guests/" + small["guestId"].get<std::string>(), nullptr, 200, a->host_token())["status"] ==
        "revoked");
}

namespace {

std::uint32_t sellers_of(const node& n, const std::string& name) {
  auto view = cluster_view(n);
  for (const auto& m : view["members"])
    if (m["name"] == name && m["state"] == "up") return m.value("sellers_online", 0u);
  return 0;
}

json job_on(const node& n, const json& submitted) {
  auto r = request(n, "GET", "/jobs/" + submitted["job_id"].get<std::string>(), "",
                   {"Authorization: Bearer " + submitted["job_token"].get<std::string>()});
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

}  // namespace

TEST_CASE("a job submitted to one member runs on another member's seller", "[cluster][market]") {
  std::string why;
  if (!can_run_jobs(why)) HEARTH_SKIP(why);
  cluster_certs certs;
  temp_dir data;
  member a(data.file("a"), "a", [&] {
    auto args = certs.args("a", "127.0.0.2");
    args.insert(args.end(), {"--market-heartbeat-ms", "200"});
    return args;
  }());
  // b comes back on the same HTTP port after a kill: its seller reconnects there.
  std::uint16_t b_port = free_loopback_port();
  auto b_args = [&] {
    auto args = certs.args("b", "127.0.0.3");
    args.insert(args.end(), {"--market-heartbeat-ms", "200", "--listen", "127.0.0.1:" + std::to_string(b_port)});
    return args;
  };
  auto b = std::make_unique<member>(data.file("b"), "b", b_args(), std::vector<std::string>{a.cluster_address});
  REQUIRE(eventually([&] { return sees(*a, "b", "up") && sees(**b, "a", "up"); }));

  temp_dir seller_dir;
  child_process seller({hearth_bin, "seller", "--hub", (**b).url(""), "--data-dir", seller_dir.path(), "--id", "far",
                        "--ssh-listen", "127.0.0.1:0", "--cpus", "16", "--memory", "16g", "--jobs", "2"});
  REQUIRE(seller.wait_for_line("seller connected", 30s));
  // a's matchmaker sees b's seller; a has none of its own.
  REQUIRE(eventually([&] { return sellers_of(*a, "b") == 1; }));

  temp_dir keys;
  REQUIRE(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keys.file("buyer")}).status == 0);
  std::string jobs_dir = keys.file("jobs");
  auto submitted = run({hearth_bin, "job", "submit", "--hub", a->url(""), "--ssh-key", keys.file("buyer.pub"),
                        "--duration", "5m", "--jobs-dir", jobs_dir});
  INFO(submitted.err);
  REQUIRE(submitted.status == 0);
  auto job = json::parse(submitted.out);
  std::string id = job["job_id"];
  CHECK(job["state"] == "running");
  CHECK(job["home_node"] == "b");
  CHECK(job["seller_id"].get<std::string>().find("/far") != std::string::npos);
  // The record is a's only: b holds none.
  CHECK(request(**b, "GET", "/jobs/" + id, "", {(**b).owner_header()}).status == 404);

  // SSH straight to the seller, and through a's relay (the seller's socket is on b).
  std::string known = keys.file("known_hosts");
  std::ofstream(known) << job["ssh_host_key"].get<std::string>() << "\n";
  std::vector<std::string> ssh_opts = {"-i", keys.file("buyer"), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                                       "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + known,
                                       "-o", "ConnectTimeout=10"};
  std::vector<std::string> direct = {"ssh", "-p", std::to_string(job["ssh_port"].get<unsigned>())};
  direct.insert(direct.end(), ssh_opts.begin(), ssh_opts.end());
  direct.insert(direct.end(), {job["ssh_user"].get<std::string>() + "@" + job["seller_ip"].get<std::string>(), "echo direct"});
  CHECK(run(direct).out == "direct\n");
  std::vector<std::string> relayed = {hearth_bin, "job", "ssh", id, "--relay", "--hub", a->url(""), "--jobs-dir", jobs_dir, "--"};
  relayed.insert(relayed.end(), ssh_opts.begin(), ssh_opts.end());
  relayed.push_back("echo relayed-via-a");
  auto via = run(relayed);
  INFO(via.err);
  CHECK(via.out == "relayed-via-a\n");

  // b killed: a's job is lost; b back, its seller reports the job and a reconciles it.
  b->n->proc->signal(SIGKILL);
  (void)b->n->proc->wait_exit(10s);
  REQUIRE(eventually([&] { return job_on(*a, job)["state"] == "lost"; }));
  b = std::make_unique<member>(data.file("b"), "b", b_args(), std::vector<std::string>{a.cluster_address});
  REQUIRE(eventually([&] { return job_on(*a, job)["state"] == "running"; }, 40s));
  CHECK(job_on(*a, job)["reason"].get<std::string>().find("reconciled") != std::string::npos);
  CHECK(run(direct).out == "direct\n");  // nothing was destroyed

  // Cancelled through a: b's seller destroys it, and its share is free again.
  REQUIRE(run({hearth_bin, "job", "cancel", id, "--hub", a->url(""), "--jobs-dir", jobs_dir}).status == 0);
  CHECK(job_on(*a, job)["state"] == "cancelled");
  CHECK(eventually([&] {
    auto r = request(**b, "GET", "/sellers/online");
    auto online = json::parse(r.body, nullptr, false);
    return r.status == 200 && online.is_array() && online.size() == 1 && online[0]["jobs_running"] == 0 &&
           online[0]["capacity"]["free"]["jobs"] == 2;
  }));
  CHECK(run(direct).status != 0);

  // b's seller killed: b forwards its going, and a's job on it is lost.
  auto second = run({hearth_bin, "job", "submit", "--hub", a->url(""), "--ssh-key", keys.file("buyer.pub"),
                     "--duration", "5m", "--jobs-dir", jobs_dir});
  REQUIRE(second.status == 0);
  auto next = json::parse(second.out);
  REQUIRE(next["state"] == "running");
  seller.signal(SIGKILL);
  (void)seller.wait_exit(10s);
  REQUIRE(eventually([&] { return job_on(*a, next)["state"] == "lost"; }));
  auto lost = job_on(*a, next)["reason"].get<std::string>();
  CHECK(lost.find("its seller went offline") != std::string::npos);
  CHECK(lost.find("(on b)") != std::string::npos);
}
