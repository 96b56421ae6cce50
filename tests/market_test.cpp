// The marketplace as its users run it: a real hub (`hearth serve`) and real
// sellers (`hearth seller`), separate processes on loopback, Debian's
// OpenSSH client logging into jobs. A job lands inside its sandbox, copies
// files both ways, refuses other keys, ends at its timeout; a seller killed
// with SIGKILL goes offline and its jobs are lost; a restarted hub gets its
// sellers back with its job records; a forged hello is refused; concurrent
// submits never overbook; hostile bodies get stable error codes.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "client/http_client.hpp"
#include "client/websocket_client.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/secp256k1_key.hpp"
#include "messages/clock.hpp"
#include "payments/buyer.hpp"
#include "protocols/market_wire.hpp"
#include "support/raw_http.hpp"
#include "support/skip.hpp"
#include "support/test_node.hpp"

using namespace hearth;
using namespace hearth::test;

namespace {

struct hub {
  temp_dir dir;
  std::uint16_t port;
  std::vector<std::string> extra;
  std::unique_ptr<node> n;

  explicit hub(std::vector<std::string> more = {}) : port(free_loopback_port()), extra(std::move(more)) { start(); }
  void start() {
    std::vector<std::string> args = {"--market-heartbeat-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    // node listens on 127.0.0.1:0 unless told otherwise: the last --listen wins.
    args.insert(args.end(), {"--listen", "127.0.0.1:" + std::to_string(port)});
    n = std::make_unique<node>(dir.path() + "/data", args);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  client::http_response call(const std::string& method, const std::string& path, const json& body = nullptr,
                             const std::string& bearer = "") {
    client::client_request req{method, url() + path, {}, body.is_null() ? "" : body.dump(), 30s, nullptr};
    if (!body.is_null()) req.headers.emplace_back("Content-Type", "application/json");
    if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
    auto r = client::send_request(req);
    REQUIRE(r);
    return *r;
  }
  json ok(const std::string& method, const std::string& path, const json& body = nullptr, const std::string& bearer = "",
          unsigned status = 200) {
    auto r = call(method, path, body, bearer);
    INFO(method << " " << path << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == status);
    return json::parse(r.body);
  }
  json sellers() { return ok("GET", "/sellers/online"); }
  json job(const json& submitted) {
    return ok("GET", "/jobs/" + submitted["job_id"].get<std::string>(), nullptr, submitted["job_token"]);
  }
  // Polls the job until pred holds (bounded).
  template <class Pred>
  json await_job(const json& submitted, Pred pred, std::chrono::seconds within = 20s) {
    json j;
    for (auto end = std::chrono::steady_clock::now() + within; std::chrono::steady_clock::now() < end;) {
      j = job(submitted);
      if (pred(j)) return j;
      std::this_thread::sleep_for(50ms);  // polling an HTTP API: the wait is bounded by within
    }
    INFO(j.dump());
    FAIL("the job never got there");
    return j;
  }
  template <class Pred>
  json await_sellers(Pred pred) {
    json s;
    for (auto end = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < end;) {
      s = sellers();
      if (pred(s)) return s;
      std::this_thread::sleep_for(50ms);
    }
    INFO(s.dump());
    FAIL("the sellers never got there");
    return s;
  }
};

struct seller {
  temp_dir dir;
  std::unique_ptr<child_process> proc;
  std::string name;

  seller(const hub& h, std::string id, unsigned jobs = 5, std::vector<std::string> extra = {}) : name(std::move(id)) {
    std::vector<std::string> argv{hearth_bin, "seller", "--hub", h.url(), "--data-dir", dir.path(), "--id", name,
                                  "--ssh-listen", "127.0.0.1:0", "--cpus", "16", "--memory", "16g", "--jobs",
                                  std::to_string(jobs)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = std::make_unique<child_process>(argv);
    auto up = proc->wait_for_line("seller connected", 30s);
    INFO(proc->output());
    REQUIRE(up);
  }
  ~seller() {
    if (proc) {
      proc->signal(SIGTERM);
      (void)proc->wait_exit(30s);
    }
  }
};

struct buyer_keys {
  temp_dir dir;
  std::string key = dir.file("buyer"), other = dir.file("stranger");
  buyer_keys() {
    REQUIRE(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key}).status == 0);
    REQUIRE(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other}).status == 0);
  }
  std::string pub() const { return read_text(key + ".pub"); }

  std::vector<std::string> options(const json& job) const {
    std::string known = dir.file(job["job_id"].get<std::string>() + ".known_hosts");
    std::ofstream(known) << job["ssh_host_key"].get<std::string>() << "\n";
    return {"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes", "-o",
            "UserKnownHostsFile=" + known, "-o", "ConnectTimeout=10"};
  }
  run_result ssh(const json& job, const std::string& command, const std::string& identity = "") const {
    std::vector<std::string> argv = {"ssh", "-i", identity.empty() ? key : identity, "-p",
                                     std::to_string(job["ssh_port"].get<unsigned>())};
    auto o = options(job);
    argv.insert(argv.end(), o.begin(), o.end());
    argv.push_back(job["ssh_user"].get<std::string>() + "@" + job["seller_ip"].get<std::string>());
    argv.push_back(command);
    return run(argv);
  }
  run_result scp(const json& job, const std::string& from, const std::string& to) const {
    std::vector<std::string> argv = {"scp", "-i", key, "-P", std::to_string(job["ssh_port"].get<unsigned>())};
    auto o = options(job);
    argv.insert(argv.end(), o.begin(), o.end());
    argv.insert(argv.end(), {from, to});
    return run(argv);
  }
};


}  // namespace

TEST_CASE("a hub and two sellers: a job's SSH lands in its sandbox, copies files, ends at its timeout", "[market]") {
  std::string why;
  if (!can_run_jobs(why)) HEARTH_SKIP(why);
  hub h;
  seller a(h, "alpha"), b(h, "beta");
  auto online = h.await_sellers([](const json& s) { return s.size() == 2; });
  for (const auto& s : online) {
    CHECK(s["state"] == "online");
    CHECK(s["images"] == json::array({"host"}));
    CHECK(s["capacity"]["total"]["jobs"] == 5);
  }
  buyer_keys keys;
  auto unknown = h.call("POST", "/jobs/submit", {{"ssh_pubkey", keys.pub()}, {"preferred_image", "ubuntu:ssh-enabled"}});
  CHECK(unknown.status == 400);
  CHECK(json::parse(unknown.body)["error"]["code"] == "unknown_image");
  auto job = h.ok("POST", "/jobs/submit", {{"ssh_pubkey", keys.pub()}, {"mem_limit", "256m"}, {"duration_secs", 5}});
  REQUIRE(job["state"] == "running");
  CHECK(job["ssh_user"] == "guest");
  CHECK(job["seller_ip"] == "127.0.0.1");
  CHECK(job["job_token"].get<std::string>().size() == 68);
  CHECK(job["ssh_host_key"].get<std::string>().find("ssh-ed25519 ") != std::string::npos);

  std::ofstream(keys.dir.file("host-secret")) << "of the seller's host";
  auto inside = keys.ssh(job, "id; hostname; cat /proc/self/cgroup; cat " + keys.dir.file("host-secret") + " || echo absent");
  INFO(inside.out << inside.err);
  REQUIRE(inside.status == 0);
  CHECK(inside.out.find("uid=1000(guest)") != std::string::npos);
  CHECK(inside.out.find("sandbox\n") != std::string::npos);
  CHECK(inside.out.find("guest-" + job["job_id"].get<std::string>()) != std::string::npos);
  CHECK(inside.out.find("absent") != std::string::npos);

  std::ofstream(keys.dir.file("in.txt")) << "to the job\n";
  std::string dest = "guest@127.0.0.1:";
  REQUIRE(keys.scp(job, keys.dir.file("in.txt"), dest + "in.txt").status == 0);
  CHECK(keys.ssh(job, "cat in.txt; echo back > out.txt").out == "to the job\n");
  REQUIRE(keys.scp(job, dest + "out.txt", keys.dir.file("out.txt")).status == 0);
  CHECK(read_text(keys.dir.file("out.txt")) == "back\n");

  auto stranger = keys.ssh(job, "id", keys.other);
  CHECK(stranger.status != 0);
  CHECK(stranger.err.find("Permission denied") != std::string::npos);

  auto ended = h.await_job(job, [](const json& j) { return j["state"] == "expired"; });
  CHECK(ended["history"].size() >= 5);  // queued, assigned, provisioning, running, expired
  CHECK(keys.ssh(job, "id").status != 0);
  // Nothing of it is left on the seller: no process in its cgroup, no cgroup, no home.
  std::string id = job["job_id"];
  auto leftovers = [&] {
    int n = 0;
    for (const char* c : {"pids/", "memory/", "cpu/", ""})  // v1 controllers, or v2's one tree
      n += ::access(("/sys/fs/cgroup/" + std::string(c) + "hearth/guest-" + id).c_str(), F_OK) == 0;
    n += ::access((a.dir.path() + "/jobs/" + id).c_str(), F_OK) == 0 || ::access((b.dir.path() + "/jobs/" + id).c_str(), F_OK) == 0;
    return n;
  };
  for (auto end = std::chrono::steady_clock::now() + 10s; leftovers() && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(50ms);  // the seller destroys it right after reporting the expiry
  CHECK(leftovers() == 0);
  // The host's listing has it, by state.
  auto listed = h.ok("GET", "/jobs?state=expired", nullptr, h.n->host_token());
  CHECK(listed["jobs"].size() == 1);
}

TEST_CASE("a seller killed with SIGKILL goes offline and its jobs are lost", "[market]") {
  std::string why;
  if (!can_run_jobs(why)) HEARTH_SKIP(why);
  hub h;
  auto victim = std::make_unique<seller>(h, "victim");
  h.await_sellers([](const json& s) { return s.size() == 1; });
  buyer_keys keys;
  auto job = h.ok("POST", "/jobs/submit", {{"ssh_pubkey", keys.pub()}, {"duration_secs", 600}});
  REQUIRE(job["state"] == "running");
  // Something of the buyer's runs in the job when its seller dies.
  // "started" once the background process has exec'd sleep (before that the
  // host sees it as nohup, and pgrep below would race it).
  CHECK(keys.ssh(job, "nohup sleep 4242 > /dev/null 2>&1 & p=$!; "
                      "until [ \"$(tr '\\0' ' ' < /proc/$p/cmdline)\" = 'sleep 4242 ' ]; do :; done; echo started")
            .out == "started\n");
  CHECK(run({"pgrep", "-f", "^sleep 4242$"}).status == 0);
  victim->proc->signal(SIGKILL);
  REQUIRE(victim->proc->wait_exit(10s));
  victim->proc.reset();
  // The job's environment dies with its seller: nothing of the buyer's is left on the host.
  bool left = true;
  for (int i = 0; i < 100 && left; ++i) {  // bounded: the kernel kills the environment at once, reaping takes a moment
    left = run({"pgrep", "-f", "^sleep 4242$"}).status == 0;
    if (left) std::this_thread::sleep_for(100ms);
  }
  CHECK_FALSE(left);
  // 6 heartbeats of 200 ms missed, or the socket's end: either way within seconds.
  auto lost = h.await_job(job, [](const json& j) { return j["state"] == "lost"; }, 10s);
  CHECK(lost["reason"].get<std::string>().find("offline") != std::string::npos);
  CHECK(h.sellers().empty());
  // No seller, no placement: a clear 503.
  auto refused = h.call("POST", "/jobs/submit", {{"ssh_pubkey", keys.pub()}});
  CHECK(refused.status == 503);
  CHECK(json::parse(refused.body)["error"]["code"] == "no_seller_capacity");
}

TEST_CASE("a restarted hub gets its sellers back, and their running jobs, with its records", "[market]") {
  std::string why;
  if (!can_run_jobs(why)) HEARTH_SKIP(why);
  hub h;
  seller s(h, "steady");
  h.await_sellers([](const json& x) { return x.size() == 1; });
  buyer_keys keys;
  auto job = h.ok("POST", "/jobs/submit", {{"ssh_pubkey", keys.pub()}, {"duration_secs", 600}});
  REQUIRE(job["state"] == "running");
  h.n->stop(SIGKILL);
  h.start();
  h.await_sellers([](const json& x) { return x.size() == 1; });
  auto back = h.await_job(job, [](const json& j) { return j["state"] == "running"; });
  CHECK(back["job_id"] == job["job_id"]);
  CHECK(keys.ssh(job, "echo still here").out == "still here\n");  // the hub going away destroyed nothing
}

TEST_CASE("a seller whose hello is not signed by its address is refused", "[market]") {
  hub h({"--market-heartbeat-ms", "200"});
  auto ws = client::websocket_client::connect(h.url() + "/market/sellers", {}, 10s);
  REQUIRE(ws);
  auto first = (*ws)->receive(10s);
  REQUIRE(first);
  auto challenge = protocols::decode_hub_message(first->data);
  REQUIRE(challenge);
  auto c = std::get<protocols::wire_challenge>(*challenge);
  CHECK(c.nonce.size() == 64);
  auto claimed = crypto::private_key::generate(), signer = crypto::private_key::generate();
  REQUIRE(claimed);
  REQUIRE(signer);
  seller_hello hello;
  hello.name = "forger";
  hello.address = crypto::to_0x(claimed->to_address().bytes);
  hello.images = {"host"};
  hello.capacity = {4, 4096, 4};
  std::string text = protocols::hello_message(c.nonce, hello.address, hello.name);
  hello.signature =
      signer->sign_digest(crypto::personal_message_digest(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))
          .to_0x();
  (*ws)->send(protocols::encode(protocols::seller_message{hello}), false);
  auto answer = (*ws)->receive(10s);
  REQUIRE(answer);
  auto refused = protocols::decode_hub_message(answer->data);
  REQUIRE(refused);
  REQUIRE(std::holds_alternative<protocols::wire_refused>(*refused));
  CHECK(std::get<protocols::wire_refused>(*refused).code == "seller_refused");
  CHECK(h.sellers().empty());

  // A message that is not the protocol ends the session too; the hub stays up.
  auto again = client::websocket_client::connect(h.url() + "/market/sellers", {}, 10s);
  REQUIRE(again);
  REQUIRE((*again)->receive(10s));
  (*again)->send(std::string(100 * 1024, '{'), false);
  for (int i = 0; i < 3 && (*again)->receive(5s); ++i) {
  }
  CHECK((*again)->closed());
  CHECK(h.sellers().empty());
}

TEST_CASE("20 concurrent submits against capacity for 10: exactly 10 placed", "[market]") {
  std::string why;
  if (!can_run_jobs(why)) HEARTH_SKIP(why);
  hub h;
  seller a(h, "left", 5), b(h, "right", 5);
  h.await_sellers([](const json& s) { return s.size() == 2; });
  buyer_keys keys;
  std::string body = json{{"ssh_pubkey", keys.pub()}, {"cpus", 0.1}, {"mem_limit", "64m"}, {"duration_secs", 120}}.dump();
  std::vector<std::thread> threads;
  std::vector<std::pair<unsigned, std::string>> answers(20);
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&, i] {
      client::client_request req{"POST", h.url() + "/jobs/submit", {{"Content-Type", "application/json"}}, body, 60s,
                                 nullptr};
      auto r = client::send_request(req);
      answers[i] = r ? std::make_pair(r->status, r->body) : std::make_pair(0u, std::string());
    });
  for (auto& t : threads) t.join();
  int placed = 0, refused = 0;
  std::map<std::string, int> per_seller;
  for (const auto& [status, text] : answers) {
    INFO(status << " " << text);
    auto j = json::parse(text, nullptr, false);
    if (status == 200) {
      ++placed;
      ++per_seller[j["seller_id"].get<std::string>()];
    } else if (status == 503) {
      ++refused;
      CHECK(j["error"]["code"] == "no_seller_capacity");
    }
  }
  CHECK(placed == 10);
  CHECK(refused == 10);
  for (const auto& [id, n] : per_seller) CHECK(n == 5);
  auto running = h.ok("GET", "/jobs?state=running", nullptr, h.n->host_token());
  CHECK(running["jobs"].size() == 10);
}

TEST_CASE("hostile job requests get stable error codes", "[market]") {
  hub h;
  buyer_keys keys;
  auto code = [&](const json& body, unsigned status) {
    auto r = h.call("POST", "/jobs/submit", body);
    INFO(body.dump() << " -> " << r.status << " " << r.body);
    CHECK(r.status == status);
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["error"].value("code", "") : std::string();
  };
  CHECK(code({{"ssh_pubkey", "ssh-ed25519 notbase64!"}}, 400) == "bad_ssh_key");
  CHECK(code({{"ssh_pubkey", "command=\"rm -rf /\" " + keys.pub()}}, 400) == "bad_ssh_key");
  CHECK(code({{"ssh_pubkey", keys.pub() + "\nssh-ed25519 AAAA second"}}, 400) == "bad_ssh_key");
  CHECK(code({{"ssh_pubkey", keys.pub()}, {"mem_limit", "lots"}}, 400) == "bad_job_limit");
  CHECK(code({{"ssh_pubkey", keys.pub()}, {"cpus", -1}}, 400) == "bad_job_limit");
  CHECK(code({{"ssh_pubkey", keys.pub()}, {"duration_secs", 0}}, 400) == "bad_job_limit");
  CHECK(code({{"ssh_pubkey", keys.pub()}}, 503) == "no_seller_capacity");  // no seller online
  auto r = h.call("POST", "/jobs/submit", nullptr);
  CHECK(r.status == 400);
  // Without its token a job is nobody's business, not even whether it exists.
  CHECK(h.call("GET", "/jobs/0123abcd").status == 401);
  CHECK(h.call("GET", "/jobs/0123abcd", nullptr, "job_wrong").status == 401);
  CHECK(h.call("GET", "/jobs").status == 401);
  CHECK(h.call("GET", "/jobs?state=bogus", nullptr, h.n->host_token()).status == 400);
}

TEST_CASE("a priced seller's job is paid up front with x402, exactly once, and so is its extension", "[market]") {
  std::string why;
  if (!can_run_jobs(why)) HEARTH_SKIP(why);
  hub h;
  seller s(h, "priced", 5, {"--price-per-hour", "0.36"});  // 100 atomic units of USDC per second
  auto online = h.await_sellers([](const json& x) { return x.size() == 1; });
  std::string seller_address = online[0]["address"];
  CHECK(online[0]["price_per_hour"] == 360000);
  buyer_keys keys;
  json body = {{"ssh_pubkey", keys.pub()}, {"duration_secs", 60}};

  auto challenge = h.call("POST", "/jobs/submit", body);
  REQUIRE(challenge.status == 402);
  auto offered = payments::parse_challenge(challenge.header("PAYMENT-REQUIRED"), challenge.body);
  REQUIRE(offered);
  auto chosen = payments::choose(*offered, "", "USDC:1.0");
  REQUIRE(chosen);
  CHECK(crypto::to_decimal(chosen->amount) == "6000");  // 60 s at 0.36 USDC an hour
  CHECK(crypto::to_0x(chosen->pay_to.bytes) == seller_address);
  CHECK(h.ok("GET", "/jobs?state=running", nullptr, h.n->host_token())["jobs"].empty());  // nothing built unpaid

  auto payer = crypto::private_key::generate();
  REQUIRE(payer);
  auto header = payments::sign_payment(*chosen, *payer, unix_secs());
  REQUIRE(header);
  auto paid_submit = [&] {
    client::client_request req{"POST", h.url() + "/jobs/submit", {{"Content-Type", "application/json"}}, body.dump(), 60s,
                               nullptr};
    req.headers.emplace_back(payments::payment_header_name(*chosen), *header);
    auto r = client::send_request(req);
    REQUIRE(r);
    return *r;
  };
  auto paid = paid_submit();
  INFO(paid.body);
  REQUIRE(paid.status == 200);
  CHECK(!paid.header(chosen->x402_version == 2 ? "PAYMENT-RESPONSE" : "X-PAYMENT-RESPONSE").empty());
  auto job = json::parse(paid.body);
  CHECK(job["state"] == "running");
  CHECK(job["price_paid"] == 6000);
  CHECK(keys.ssh(job, "echo paid for").out == "paid for\n");

  // The same payment again buys nothing.
  auto replay = paid_submit();
  CHECK(replay.status == 402);
  CHECK(replay.body.find("payment_replayed") != std::string::npos);
  CHECK(h.ok("GET", "/jobs?state=running", nullptr, h.n->host_token())["jobs"].size() == 1);

  // An extension is paid the same way, here by the real `hearth curl`.
  std::string token = job["job_token"];
  std::string path = "/jobs/" + job["job_id"].get<std::string>() + "/extend";
  CHECK(h.call("POST", path, {{"duration_secs", 30}}, token).status == 402);
  std::ofstream(keys.dir.file("payer.key")) << "0x" << crypto::to_hex(payer->secret()) << "\n";
  auto curl = run({hearth_bin, "curl", "-s", "-X", "POST", "-H", "Authorization: Bearer " + token, "--data-binary",
                   R"({"duration_secs":30})", "--key", "@" + keys.dir.file("payer.key"), h.url() + path});
  INFO(curl.err);
  REQUIRE(curl.status == 0);
  auto extended = json::parse(curl.out);
  CHECK(extended["duration_secs"] == 90);
  CHECK(extended["price_paid"] == 9000);
  // Both payments are receivables of the seller in the hub's ledger.
  auto ledger = h.ok("GET", "/payments/ledger", nullptr, h.n->host_token());
  std::uint64_t total = 0;
  for (const auto& e : ledger["entries"]) {
    CHECK(e["pay_to"].get<std::string>().size() == 42);
    total += std::stoull(e["amount"].get<std::string>());
  }
  CHECK(total == 9000);
}

TEST_CASE("a buyer reaches a job through the hub's relay, as for a seller behind NAT", "[market]") {
  std::string why;
  if (!can_run_jobs(why)) HEARTH_SKIP(why);
  hub h;
  seller s(h, "behind-nat");
  h.await_sellers([](const json& x) { return x.size() == 1; });
  buyer_keys keys;
  std::string jobs_dir = keys.dir.file("jobs");
  auto submitted = run({hearth_bin, "job", "submit", "--hub", h.url(), "--ssh-key", keys.key + ".pub", "--duration",
                        "2m", "--jobs-dir", jobs_dir});
  INFO(submitted.err);
  REQUIRE(submitted.status == 0);
  auto job = json::parse(submitted.out);
  std::string id = job["job_id"];
  // `hearth job ssh --relay`: ssh's ProxyCommand is `hearth job relay`, the bytes go over the seller's WebSocket.
  auto via = run({hearth_bin, "job", "ssh", id, "--relay", "--hub", h.url(), "--jobs-dir", jobs_dir, "--", "-i",
                  keys.key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "echo relayed; hostname"});
  INFO(via.err);
  REQUIRE(via.status == 0);
  CHECK(via.out == "relayed\nsandbox\n");
  // A file larger than the relay's frames and queues, both ways, byte for byte.
  std::string blob;
  for (int i = 0; i < 6 * 1024 * 1024 / 64; ++i) blob += std::to_string(i * 7919 % 100003) + std::string(58, 'x') + "\n";
  std::ofstream(keys.dir.file("blob")) << blob;
  auto o = keys.options(job);
  std::vector<std::string> scp = {"scp", "-i", keys.key, "-P", std::to_string(job["ssh_port"].get<unsigned>()), "-o",
                                  "ProxyCommand=" + hearth_bin + " job relay " + id + " --hub " + h.url() +
                                      " --jobs-dir " + jobs_dir};
  scp.insert(scp.end(), o.begin(), o.end());
  auto up = scp, down = scp;
  up.insert(up.end(), {keys.dir.file("blob"), "guest@127.0.0.1:blob"});
  down.insert(down.end(), {"guest@127.0.0.1:blob", keys.dir.file("blob.back")});
  REQUIRE(run(up).status == 0);
  REQUIRE(run(down).status == 0);
  CHECK(read_text(keys.dir.file("blob.back")) == blob);
  // The relay is the job token holder's only; an ended job has none.
  auto ws = client::websocket_client::connect(h.url() + "/jobs/" + id + "/ssh", {}, 10s);
  CHECK(!ws);
  REQUIRE(run({hearth_bin, "job", "cancel", id, "--hub", h.url(), "--jobs-dir", jobs_dir}).status == 0);
  auto after = run({hearth_bin, "job", "ssh", id, "--relay", "--hub", h.url(), "--jobs-dir", jobs_dir, "--", "-i",
                    keys.key, "-o", "BatchMode=yes", "true"});
  CHECK(after.status != 0);
}

TEST_CASE("strangers' seller sockets that never say hello, or stop halfway through a frame, cannot hold the hub",
          "[market][security]") {
  hub h({"--http-max-connections-per-address", "4"});
  const std::string upgrade =
      "GET /market/sellers HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  std::vector<std::unique_ptr<raw_connection>> strangers;
  for (int i = 0; i < 4; ++i) {
    auto& s = strangers.emplace_back(std::make_unique<raw_connection>(h.port, "127.0.0.3"));
    REQUIRE(s->send(upgrade));
    auto head = s->read_some(10s);  // the 101 (and perhaps the challenge)
    REQUIRE(head);
    CHECK(head->rfind("HTTP/1.1 101", 0) == 0);
    if (i % 2) REQUIRE(s->send(std::string("\x81\xfe", 2)));  // a masked text frame whose length never comes
  }
  // WebSockets hold their address's connections: a fifth from there is refused.
  raw_connection fifth(h.port, "127.0.0.3");
  REQUIRE(fifth.send(upgrade));
  auto refused = fifth.read_response(10s);
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(h.call("GET", "/health").status == 200);  // another client is served meanwhile
  // No hello within 5 heartbeats (at least 2 s): each is closed by the hub.
  for (auto& s : strangers) CHECK(s->wait_closed(15s));
  raw_connection again(h.port, "127.0.0.3");  // and the address has its share back
  REQUIRE(again.send(upgrade));
  auto head = again.read_some(10s);
  REQUIRE(head);
  CHECK(head->rfind("HTTP/1.1 101", 0) == 0);
}
