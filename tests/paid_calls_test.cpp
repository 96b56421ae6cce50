// x402 against the real node: challenges, every way a payment is refused,
// exactly-once under replay, concurrency and restart, no charge when the
// handler fails, and a payment left held by a crash is never charged.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <future>
#include <thread>

#include "crypto/base64.hpp"
#include "crypto/keccak.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "messages/clock.hpp"
#include "payments/buyer.hpp"
#include "payments/challenge.hpp"
#include "support/raw_http.hpp"
#include "support/x402_payer.hpp"
#include "support/test_node.hpp"

using namespace hearth;
using namespace hearth::test;
using nlohmann::json;

namespace {

struct paid_node {
  temp_dir dir;
  std::vector<std::string> args{"--payment-networks", "base-sepolia,base"};
  std::unique_ptr<node> n;
  std::string key;

  paid_node() : n(std::make_unique<node>(dir.path() + "/data", args)), key("@" + dir.path() + "/data/node.key") {}
  void restart(int sig = SIGTERM) {
    n->stop(sig);
    n = std::make_unique<node>(dir.path() + "/data", args);
  }
  std::string offer(const std::string& name, const std::string& body, std::vector<std::string> extra) {
    return offer_script(*n, key, write_script(dir, name, body), extra);
  }
};

const char* hello = "printf 'Content-Type: text/plain\\n\\n'\necho \"hello $QUERY_STRING\"\n";

}  // namespace

TEST_CASE("a priced offer answers an unpaid call with both challenges", "[x402]") {
  paid_node p;
  auto per_call = p.offer("a.cgi", hello, {"--price", "0.25"});
  auto per_second = p.offer("b.cgi", hello, {"--price-per-second", "0.001", "--wall-secs", "20"});

  auto r = call(*p.n, "/" + per_call + ".cgi/x");
  CHECK(r.status == 402);
  auto v1 = json::parse(r.body);
  CHECK(v1["x402Version"] == 1);
  REQUIRE(v1["accepts"].size() == 2);
  auto& first = v1["accepts"][0];
  CHECK(first["network"] == "base-sepolia");
  CHECK(first["maxAmountRequired"] == "250000");
  CHECK(first["resource"] == p.n->url("/" + per_call + ".cgi/x"));
  CHECK(first["mimeType"].is_string());
  CHECK(first["outputSchema"].is_object());
  CHECK(first["extra"] == json({{"name", "USDC"}, {"version", "2"}}));
  CHECK(v1["accepts"][1]["extra"]["name"] == "USD Coin");
  auto v2 = json::parse(*crypto::base64_decode(r.header("payment-required")));
  CHECK(v2["x402Version"] == 2);
  CHECK(v2["accepts"][0]["network"] == "eip155:84532");
  CHECK(v2["accepts"][0]["amount"] == "250000");
  CHECK(v2["resource"]["url"] == p.n->url("/" + per_call + ".cgi/x"));

  // Per second of wall time, paid up front for the offer's maximum.
  auto s = call(*p.n, "/" + per_second + ".cgi/");
  CHECK(json::parse(s.body)["accepts"][0]["maxAmountRequired"] == "20000");

  auto page = call(*p.n, "/" + per_call + ".cgi/x", {"Accept: text/html,*/*", "User-Agent: Mozilla/5.0"});
  CHECK(page.status == 402);
  CHECK(page.header("content-type").rfind("text/html", 0) == 0);
  CHECK(page.body.find("0.25 USDC") != std::string::npos);
  CHECK(!page.header("payment-required").empty());
}

TEST_CASE("durations: the buyer pays for the seconds it picks, and the run gets exactly those", "[x402][duration]") {
  paid_node p;
  auto hash = p.offer("sleepy.cgi", "printf 'Content-Type: text/plain\\n\\n'\necho started\nsleep \"${QUERY_STRING:-0}\"\necho done\n",
                      {"--price-per-second", "0.001", "--wall-secs", "60", "--min-duration", "2", "--max-duration", "30"});
  std::string path = "/" + hash + ".cgi/";
  auto amount_for = [&](const std::vector<std::string>& headers, const std::string& query = "") {
    auto r = call(*p.n, path + query, headers);
    INFO(r.body);
    REQUIRE(r.status == 402);
    return json::parse(r.body)["accepts"][0]["maxAmountRequired"].get<std::string>();
  };
  CHECK(amount_for({}) == "30000");  // none asked for: the longest
  CHECK(amount_for({"X-Hearth-Duration: 5"}) == "5000");
  CHECK(amount_for({}, "?hearth-duration=7") == "7000");

  // Outside the range, or not a number: refused before any payment is asked for.
  auto short_one = call(*p.n, path, {"X-Hearth-Duration: 1"});
  CHECK(short_one.status == 400);
  CHECK(json::parse(short_one.body)["error"]["code"] == "duration_out_of_range");
  CHECK(call(*p.n, path, {"X-Hearth-Duration: 31"}).status == 400);
  CHECK(call(*p.n, path, {"X-Hearth-Duration: soon"}).status == 400);
  auto fixed = p.offer("fixed.cgi", hello, {"--price-per-second", "0.001", "--wall-secs", "20"});
  auto not_offered = call(*p.n, "/" + fixed + ".cgi/", {"X-Hearth-Duration: 5"});
  CHECK(not_offered.status == 400);
  CHECK(json::parse(not_offered.body)["error"]["code"] == "duration_not_offered");

  // Paid for 2 s, the handler wants 10: its wall limit is the 2 s paid for (504, not charged).
  auto capped = run({hearth_bin, "curl", p.n->url(path + "?10"), "--key", buyer_hex, "--duration", "2", "--max", "USDC:0.01"});
  CHECK(capped.out.find("done") == std::string::npos);
  CHECK(capped.out.find("wall_limit") != std::string::npos);
  // Paid for 5 s, the handler takes 1: it finishes; 0.005 USDC is charged.
  auto paid = run({hearth_bin, "curl", p.n->url(path + "?1"), "--key", buyer_hex, "--duration", "5", "-i", "--max", "USDC:0.01"});
  INFO(paid.err);
  CHECK(paid.status == 0);
  CHECK(paid.out.find("started\ndone\n") != std::string::npos);
  auto entries = get_json(*p.n, "/payments/ledger?limit=10")["entries"];
  REQUIRE(entries.size() == 1);
  CHECK(entries[0]["amount"] == "5000");
}

TEST_CASE("payments are verified before the handler runs, and refused with the reason", "[x402]") {
  paid_node p;
  auto hash = p.offer("hello.cgi", hello, {"--price", "0.01"});
  std::string path = "/" + hash + ".cgi/";
  auto o = challenge_entry(*p.n, path);
  std::size_t ledger_before = ledger_size(*p.n);

  SECTION("valid v2 and v1 payments run it and settle into the ledger") {
    std::string ok_header = sign(o);
    auto ok = call(*p.n, path + "?a=1", {header_line(o, ok_header)});
    CHECK(ok.status == 200);
    CHECK(ok.body == "hello a=1\n");
    auto receipt = json::parse(*crypto::base64_decode(ok.header("payment-response")));
    CHECK(receipt["success"] == true);
    CHECK(receipt["payer"] == buyer_address);
    CHECK(receipt["network"] == "eip155:84532");
    auto o1 = challenge_entry(*p.n, path, 1);
    auto ok1 = call(*p.n, path + "?b=2", {header_line(o1, sign(o1))});
    CHECK(ok1.status == 200);
    CHECK(json::parse(*crypto::base64_decode(ok1.header("x-payment-response")))["network"] == "base-sepolia");
    CHECK(ledger_size(*p.n) == ledger_before + 2);
    auto table = run({hearth_bin, "pay", "ledger", "--node", p.n->url("")});
    CHECK(table.status == 0);
    std::string pay_to = p.n->health()["node"]["owner"];  // receivables are per payTo
    INFO(table.out);
    CHECK(table.out.find(pay_to + "  base-sepolia  ledger          2       1  0.02") != std::string::npos);
    auto csv = run({hearth_bin, "pay", "ledger", "--node", p.n->url(""), "--export", "csv"});
    CHECK(csv.out.rfind("payment,pay_to,payer,network,asset,amount_atomic,amount_usdc", 0) == 0);
    CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') == 3);
    CHECK(csv.out.find("," + pay_to + "," + buyer_address +
                       ",base-sepolia,0x036CbD53842c5426634e7929541eC2318f3dCF7e,10000,0.01,") != std::string::npos);
    // No chain moved the money: the receipt names the ledger entry, not a made-up transaction.
    CHECK(receipt["transaction"] == "");
    CHECK(receipt["ledgerEntry"] == payment_id_of(ok_header));
    auto status = run({hearth_bin, "pay", "status", "--node", p.n->url(""), payment_id_of(ok_header)});
    CHECK(json::parse(status.out)["state"] == "settled");
  }
  SECTION("v as 0/1 is normalised and accepted") {
    tamper t;
    t.v01 = true;
    CHECK(call(*p.n, path, {header_line(o, sign(o, t))}).status == 200);
  }
  SECTION("refusals name the reason and charge nothing") {
    struct refusal {
      const char* what;
      tamper t;
      const char* reason;
    };
    tamper domain, high_s, value, pay_to, expired, future, far;
    domain.domain_name = "USD Coin";
    high_s.high_s = true;
    value.value = "9999";
    pay_to.to = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
    expired.before_delta = -1;
    future.after_delta = 600;
    far.before_delta = 3 * 3600;  // beyond maxTimeoutSeconds
    for (const auto& c : {refusal{"wrong domain", domain, "invalid_exact_evm_payload_signature"},
                          refusal{"high s", high_s, "invalid_exact_evm_payload_signature"},
                          refusal{"value", value, "invalid_exact_evm_payload_authorization_value"},
                          refusal{"payTo", pay_to, "invalid_exact_evm_payload_recipient_mismatch"},
                          refusal{"expired", expired, "invalid_exact_evm_payload_authorization_valid_before"},
                          refusal{"future", future, "invalid_exact_evm_payload_authorization_valid_after"},
                          refusal{"too long", far, "invalid_exact_evm_payload_authorization_valid_before"}}) {
      INFO(c.what);
      CHECK(refusal_reason(call(*p.n, path, {header_line(o, sign(o, c.t))})) == c.reason);
    }
    tamper no0x, url;
    no0x.nonce_without_0x = true;
    url.base64url = true;
    for (const auto& t : {no0x, url}) {
      auto r = call(*p.n, path, {header_line(o, sign(o, t))});
      CHECK(r.status == 400);
      CHECK(json::parse(r.body)["error"]["code"] == "malformed_payment");
    }
    CHECK(ledger_size(*p.n) == ledger_before);
    CHECK(get_json(*p.n, "/tasks")["tasks"].empty());  // the handler never ran
  }
}

TEST_CASE("a payment pays once: replays, concurrent copies and restarts", "[x402]") {
  paid_node p;
  auto hash = p.offer("hello.cgi", hello, {"--price", "0.01"});
  std::string path = "/" + hash + ".cgi/";
  auto o = challenge_entry(*p.n, path);

  SECTION("the same payment sent twice, and again after a restart") {
    std::string header = sign(o);
    CHECK(call(*p.n, path, {header_line(o, header)}).status == 200);
    CHECK(refusal_reason(call(*p.n, path, {header_line(o, header)})) == "payment_replayed");
    p.restart();
    CHECK(refusal_reason(call(*p.n, path, {header_line(o, header)})) == "payment_replayed");
    CHECK(ledger_size(*p.n) == 1);
  }
  SECTION("eight concurrent requests with one payment: exactly one runs") {
    std::string header = sign(o);
    std::vector<std::future<int>> calls;
    for (int i = 0; i < 8; ++i)
      calls.push_back(std::async(std::launch::async, [&, i] {
        return call(*p.n, path + "?i=" + std::to_string(i), {header_line(o, header)}).status;
      }));
    int paid = 0, refused = 0;
    for (auto& c : calls) {
      int status = c.get();
      paid += status == 200;
      refused += status == 402;
    }
    CHECK(paid == 1);
    CHECK(refused == 7);
    CHECK(get_json(*p.n, "/tasks")["tasks"].size() == 1);
    CHECK(ledger_size(*p.n) == 1);
  }
}

TEST_CASE("a failed handler or a crash leaves the payment unsettled", "[x402]") {
  paid_node p;
  auto failing = p.offer("fail.cgi", "printf 'Status: 500 Oops\\nContent-Type: text/plain\\n\\nbroken\\n'\n", {"--price", "0.01"});
  auto slow = p.offer("slow.cgi", "sleep 30\nprintf 'Content-Type: text/plain\\n\\nlate\\n'\n", {"--price", "0.01"});

  auto o = challenge_entry(*p.n, "/" + failing + ".cgi/");
  std::string header = sign(o);
  auto r = call(*p.n, "/" + failing + ".cgi/", {header_line(o, header)});
  CHECK(r.status == 500);
  CHECK(r.header("payment-response").empty());
  auto record = get_json(*p.n, "/payments/" + payment_id_of(header));
  CHECK(record["state"] == "unsettled");
  CHECK(record["note"].get<std::string>().find("500") != std::string::npos);
  CHECK(ledger_size(*p.n) == 0);

  // The node is killed while a paid task runs: after the restart the payment
  // is recorded unsettled (not charged), and its nonce stays spent.
  auto os = challenge_entry(*p.n, "/" + slow + ".cgi/");
  std::string held = sign(os);
  raw_connection c(p.n->port);
  c.send("GET /" + slow + ".cgi/ HTTP/1.1\r\nHost: x\r\n" + header_line(os, held) + "\r\n\r\n");
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {  // bounded: the task shows up as running within seconds
    auto tasks = get_json(*p.n, "/tasks")["tasks"];
    for (const auto& t : tasks) running |= t["offer"] == slow && t["state"] == "running";
    if (!running) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(running);
  CHECK(get_json(*p.n, "/payments/" + payment_id_of(held))["state"] == "held");
  p.restart(SIGKILL);
  auto after = get_json(*p.n, "/payments/" + payment_id_of(held));
  CHECK(after["state"] == "unsettled");
  CHECK(after["note"].get<std::string>().find("stopped") != std::string::npos);
  CHECK(refusal_reason(call(*p.n, "/" + slow + ".cgi/", {header_line(os, held)})) == "payment_replayed");
  CHECK(ledger_size(*p.n) == 0);
}

TEST_CASE("X-402-Key lets a loopback caller have the node sign, within X-402-Max", "[x402]") {
  paid_node p;
  auto hash = p.offer("hello.cgi", hello, {"--price", "0.01"});
  std::string path = "/" + hash + ".cgi/";
  auto ok = call(*p.n, path, {std::string("X-402-Key: ") + buyer_hex, "X-402-Max: USDC:0.05", "X-402-Pay: USDC@base"});
  CHECK(ok.status == 200);
  auto receipt = json::parse(*crypto::base64_decode(ok.header("payment-response")));
  CHECK(receipt["network"] == "eip155:8453");
  auto over = call(*p.n, path, {std::string("X-402-Key: ") + buyer_hex, "X-402-Max: 0.001"});
  CHECK(over.status == 402);
  CHECK(ledger_size(*p.n) == 1);
  CHECK(p.n->proc->output().find(std::string(buyer_hex).substr(2)) == std::string::npos);  // never logged
}

TEST_CASE("hearth curl speaks curl's common flags", "[x402][curl]") {
  paid_node p;
  auto echo = p.offer("echo.cgi",
                      "printf 'Content-Type: text/plain\\nX-Seen: %s\\n\\n' \"$HTTP_X_TEST\"\n"
                      "echo \"$REQUEST_METHOD $CONTENT_TYPE\"\ncat\n",
                      {});
  auto moved = p.offer("moved.cgi", "printf 'Status: 302 Found\\nLocation: /" + echo + ".cgi/there\\n\\n'\n", {});
  auto missing = p.offer("missing.cgi", "printf 'Status: 404 Not Found\\nContent-Type: text/plain\\n\\nnope\\n'\n", {});
  std::string base = p.n->url("/");
  auto curl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {hearth_bin, "curl"});
    return run(args);
  };

  auto get = curl({base + echo + ".cgi/", "-H", "X-Test: 42", "-i"});
  CHECK(get.status == 0);
  CHECK(get.out.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(get.out.find("X-Seen: 42") != std::string::npos);
  CHECK(get.out.find("\r\n\r\nGET \n") != std::string::npos);

  auto post = curl({base + echo + ".cgi/", "-d", "a=1", "-d", "b=2"});
  CHECK(post.out == "POST application/x-www-form-urlencoded\na=1&b=2");

  std::string file = p.dir.file("upload.bin");
  std::ofstream(file) << "line1\nline2\n";
  auto binary = curl({base + echo + ".cgi/", "-X", "PUT", "--data-binary", "@" + file, "-H", "Content-Type: text/x"});
  CHECK(binary.out == "PUT text/x\nline1\nline2\n");

  auto form = curl({base + echo + ".cgi/", "-F", "field=value", "-F", "doc=@" + file});
  CHECK(form.out.rfind("POST multipart/form-data; boundary=", 0) == 0);
  CHECK(form.out.find("name=\"doc\"; filename=\"upload.bin\"") != std::string::npos);
  CHECK(form.out.find("line1\nline2\n") != std::string::npos);

  std::string out_file = p.dir.file("out.txt");
  auto to_file = curl({base + echo + ".cgi/", "-o", out_file, "-s"});
  CHECK(to_file.status == 0);
  CHECK(to_file.out.empty());
  std::ifstream saved(out_file);
  CHECK(std::string(std::istreambuf_iterator<char>(saved), {}) == "GET \n");

  auto follow = curl({base + moved + ".cgi/", "-L"});
  CHECK(follow.out == "GET \n");
  auto no_follow = curl({base + moved + ".cgi/", "-i"});
  CHECK(no_follow.out.rfind("HTTP/1.1 302", 0) == 0);

  auto fail = curl({base + missing + ".cgi/", "--fail"});
  CHECK(fail.status == 22);
  CHECK(fail.out.empty());
  CHECK(curl({base + missing + ".cgi/"}).out == "nope\n");

  auto unpaid = curl({base + p.offer("paid.cgi", hello, {"--price", "0.5"}) + ".cgi/"});
  CHECK(unpaid.status == 2);
  CHECK(unpaid.err.find("payment required: 0.5 USDC") != std::string::npos);
}

TEST_CASE("the owner calls its own priced offers without paying", "[x402]") {
  paid_node p;
  auto hash = p.offer("hello.cgi", hello, {"--price", "0.01"});
  std::string path = "/" + hash + ".cgi/";
  // The node key is the owner here: its signed authorization identifies it and is not settled.
  std::ifstream key_file(p.dir.path() + "/data/node.key");
  std::string owner_key;
  std::getline(key_file, owner_key);
  auto r = call(*p.n, path, {"X-402-Key: " + owner_key});
  CHECK(r.status == 200);
  CHECK(r.body == "hello \n");
  CHECK(r.header("payment-response").empty());
  CHECK(ledger_size(*p.n) == 0);
  // Anyone else pays.
  CHECK(call(*p.n, path, {std::string("X-402-Key: ") + buyer_hex}).status == 200);
  CHECK(ledger_size(*p.n) == 1);
}

TEST_CASE("hearth mcp list and call use a node's tools and pay within --max", "[mcp]") {
  paid_node p;
  auto offered = run({hearth_bin, "offer", "--exe", WORD_COUNT, "--mcp", "--price", "0.01", "--key", p.key, "--upload",
                      p.n->url("")});
  INFO(offered.err);
  REQUIRE(offered.status == 0);
  auto listed = run({hearth_bin, "mcp", "list", "--@", p.n->url("")});
  CHECK(listed.out.rfind("word_count\tCounts the words", 0) == 0);
  std::string key_file = p.dir.file("buyer.key");
  std::ofstream(key_file) << buyer_hex << "\n";
  auto unpaid = run({hearth_bin, "mcp", "call", "word_count", "-a", "text=1 2", "--@", p.n->url("")});
  CHECK(unpaid.status == 1);
  CHECK(unpaid.err.find("[payment_required]") != std::string::npos);
  auto over = run({hearth_bin, "mcp", "call", "word_count", "-a", "text=1 2", "--@", p.n->url(""), "--key",
                   "@" + key_file, "--max", "0.005"});
  CHECK(over.err.find("[over_max]") != std::string::npos);
  CHECK(ledger_size(*p.n) == 0);
  auto paid = run({hearth_bin, "mcp", "call", "word_count", "-a", "text=1 2", "--@", p.n->url(""), "--key",
                   "@" + key_file, "-v"});
  CHECK(paid.status == 0);
  CHECK(json::parse(paid.out) == json({{"words", 2}, {"lines", 1}, {"characters", 3}}));
  CHECK(paid.err.find("\"success\":true") != std::string::npos);
  CHECK(ledger_size(*p.n) == 1);
}

TEST_CASE("a tool built with the tool library follows the contract", "[mcp][tool]") {
  auto schema = run({WORD_COUNT, "--mcp-schema"});
  CHECK(schema.status == 0);
  auto manifest = json::parse(schema.out);
  CHECK(manifest["name"] == "word_count");
  CHECK(manifest["input_schema"]["required"] == json({"text"}));
  CHECK(manifest["output_schema"]["type"] == "object");
  CHECK(manifest["limits"] == json({{"ram_mb", 64}, {"cpu_time_secs", 2}, {"wall_time_secs", 5}, {"network", false}}));

  auto ok = run({WORD_COUNT}, {}, R"({"text":"a b\nc"})");
  CHECK(ok.status == 0);
  CHECK(json::parse(ok.out) == json({{"words", 3}, {"lines", 2}, {"characters", 5}}));
  auto bad = run({WORD_COUNT}, {}, R"({"text":1})");
  CHECK(bad.status == 2);
  CHECK(json::parse(bad.out)["error"].get<std::string>().find("$.text") != std::string::npos);
  auto extra = run({WORD_COUNT}, {}, R"({"text":"x","more":1})");
  CHECK(extra.status == 2);
  auto not_json = run({WORD_COUNT}, {}, "nope");
  CHECK(not_json.status == 2);
  auto cgi = run({WORD_COUNT}, {"GATEWAY_INTERFACE=CGI/1.1"}, R"({"text":"x"})");
  CHECK(cgi.out.rfind("Content-Type: application/json\r\n\r\n", 0) == 0);
  auto cgi_bad = run({WORD_COUNT}, {"GATEWAY_INTERFACE=CGI/1.1"}, "{}");
  CHECK(cgi_bad.out.find("Status: 400") != std::string::npos);
}

TEST_CASE("a deterministic MCP tool answers a repeated call from the cache, without charging", "[mcp]") {
  paid_node p;
  auto offered = run({hearth_bin, "offer", "--exe", WORD_COUNT, "--mcp", "--price", "0.01", "--deterministic", "--key",
                      p.key, "--upload", p.n->url("")});
  REQUIRE(offered.status == 0);
  std::string key_file = p.dir.file("buyer.key");
  std::ofstream(key_file) << buyer_hex << "\n";
  auto call_tool = [&] {
    return run({hearth_bin, "mcp", "call", "word_count", "-a", "text=same input", "--@", p.n->url(""), "--key",
                "@" + key_file, "-v"});
  };
  auto first = call_tool();
  CHECK(first.status == 0);
  auto second = call_tool();
  CHECK(second.status == 0);
  CHECK(second.out == first.out);
  CHECK(get_json(*p.n, "/tasks")["tasks"].size() == 1);  // ran once
  CHECK(ledger_size(*p.n) == 1);                         // charged once
}
