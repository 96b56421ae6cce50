// os402's richer offers against the real node on loopback, made with the
// real `hearth offer`: private env and stdin that reach the handler and no
// endpoint, log, record or file; price options as x402 requirements (and
// paid); free-tier pools; CPU units that keep runs from oversubscribing;
// architecture variants, and executables the node fetches over https
// (served by `openssl s_server`, trusted with --fetch-cacert).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <future>
#include <thread>

#include "crypto/base64.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "messages/clock.hpp"
#include "payments/buyer.hpp"
#include "support/raw_http.hpp"
#include "support/test_node.hpp"

using namespace hearth;
using namespace hearth::test;
using nlohmann::json;

namespace {

const std::string owner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const std::string owner_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const std::string buyer_key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const std::string other_payee = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";


std::string hex_sha256(const std::string& s) {
  auto d = crypto::sha256(s);
  return crypto::to_hex(d.data(), d.size());
}

run_result offer_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), {hearth_bin, "offer", "--key", owner_key});
  return run(args);
}

std::string uploaded(const run_result& r) {
  INFO(r.err);
  REQUIRE(r.status == 0);
  return r.out.substr(0, 64);
}

bool contains_anywhere(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && read_text(e.path().string()).find(needle) != std::string::npos) return true;
  return false;
}

// An ELF of another architecture: the probe's bytes with e_machine changed.
std::string foreign_elf(const temp_dir& dir, std::uint16_t machine, const std::string& name) {
  std::string bytes = read_text(SANDBOX_PROBE);
  bytes[18] = static_cast<char>(machine & 0xff);
  bytes[19] = static_cast<char>(machine >> 8);
  std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << bytes;
  ::chmod(path.c_str(), 0755);
  return path;
}

}  // namespace

TEST_CASE("private env and stdin reach the handler and no endpoint, log, record or file", "[node][offer][private]") {
  temp_dir dir;
  const std::string secret = "sk-live-7f3a9-never-shown";
  const std::string secret_stdin = "PRIVATE-PROMPT-b41c";
  node n(dir.file("a"), {"--owner", owner, "--log-level", "debug"});
  std::string handler = write_script(dir, "wrap.sh",
                                     "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
                                     "printf 'key %s\\n' \"$(printf %s \"$API_KEY\" | sha256sum | cut -c1-64)\"\n"
                                     "printf 'in %s\\n' \"$(cat | sha256sum | cut -c1-64)\"\n");
  auto hash = uploaded(offer_cmd({"--exe", handler, "--cgi", "--price", "0", "--env-private", "API_KEY=" + secret,
                                  "--stdin-private", secret_stdin, "--stdin", "public:", "--stdin-appendable",
                                  "--upload", n.url("")}));
  auto r = request(n, "POST", "/" + hash + ".cgi/", "body");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body == "key " + hex_sha256(secret) + "\nin " + hex_sha256(secret_stdin + "public:body") + "\n");
  std::string task = r.header("x-hearth-task").substr(3, 64);

  auto shown = json::parse(request(n, "GET", "/offers/" + hash).body);
  CHECK(shown["version"] == 3);
  CHECK(shown["private"]["env"]["on_node"] == true);
  CHECK(shown["private"]["stdin"]["on_node"] == true);
  CHECK(shown["private"]["env"]["sha256"].get<std::string>().size() == 64);

  // A node that has the offer but not the values refuses to run it; a wrong value is refused.
  node b(dir.file("b"), {"--owner", owner});
  auto up = request(b, "POST", "/offers", read_text(handler),
                    {"X-Hearth-Offer: " + shown["canonical"].get<std::string>(),
                     "X-Hearth-Signature: " + shown["signature"].get<std::string>()});
  REQUIRE(up.status == 201);
  auto missing = request(b, "POST", "/" + hash + ".cgi/", "body");
  CHECK(missing.status == 503);
  CHECK(json::parse(missing.body)["error"]["code"] == "private_input_missing");
  auto wrong = request(b, "PUT", "/offers/" + hash + "/private/env", std::string(32, 'x') + "API_KEY=guess");
  CHECK(wrong.status == 422);
  CHECK(json::parse(wrong.body)["error"]["code"] == "private_input_mismatch");
  CHECK(json::parse(request(b, "GET", "/offers/" + hash).body)["private"]["env"]["on_node"] == false);

  // Nothing the node says or keeps holds the secrets: endpoints, errors, its log, its files.
  std::vector<std::string> said = {
      request(n, "GET", "/offers/" + hash).body,          request(n, "GET", "/offers").body,
      request(n, "GET", "/health").body,                  request(n, "GET", "/").body,
      request(n, "GET", "/tasks/" + task, "", {n.owner_header()}).body,
      request(n, "GET", "/tasks?limit=10", "", {n.owner_header()}).body,
      request(n, "GET", "/tasks/" + task + "/stdout", "", {n.owner_header()}).body,
      request(n, "GET", "/tasks/" + task + "/stderr", "", {n.owner_header()}).body,
      request(n, "POST", "/" + hash + ".cgi/", "", {"X-Hearth-Duration: 5"}).body,
      missing.body, wrong.body};
  for (const auto& text : said) {
    CHECK(text.find(secret) == std::string::npos);
    CHECK(text.find(secret_stdin) == std::string::npos);
  }
  CHECK(n.stop(SIGTERM) == 0);
  CHECK(b.stop(SIGTERM) == 0);
  CHECK(n.proc->output().find("private env stored") != std::string::npos);  // the log is on, and said this much
  CHECK(n.proc->output().find(secret) == std::string::npos);
  CHECK_FALSE(contains_anywhere(dir.file("a"), secret));
  CHECK_FALSE(contains_anywhere(dir.file("a"), secret_stdin));

  // Sealed values outlive a restart; the offer still runs.
  node again(dir.file("a"), {"--owner", owner});
  auto after = request(again, "POST", "/" + hash + ".cgi/", "body");
  CHECK(after.body == r.body);
  CHECK(again.stop(SIGTERM) == 0);
}

TEST_CASE("price options: one requirement each, on the node's networks, each with its payTo", "[node][offer][x402]") {
  temp_dir dir;
  node n(dir.file("a"), {"--owner", owner, "--payment-networks", "base,ethereum"});
  std::string handler = write_script(dir, "ok.sh", "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n");
  auto hash = uploaded(offer_cmd({"--exe", handler, "--cgi", "-P", R"({"token":"USDC","network":"base","amount":"0.01"})",
                                  "-P", R"({"network":"ethereum","amount":"0.02","payTo":")" + other_payee + R"("})",
                                  "--upload", n.url("")}));
  auto r = request(n, "GET", "/" + hash + ".cgi/");
  REQUIRE(r.status == 402);
  auto entries = payments::parse_challenge(r.header("payment-required"), "");
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].network_name == "eip155:8453");
  CHECK(crypto::to_decimal((*entries)[0].amount) == "10000");
  CHECK((*entries)[0].pay_to.checksummed() == owner);
  CHECK((*entries)[1].network_name == "eip155:1");
  CHECK(crypto::to_decimal((*entries)[1].amount) == "20000");
  CHECK((*entries)[1].pay_to.checksummed() == other_payee);

  // Paying the second option pays its payTo.
  auto key = *crypto::private_key::from_hex(buyer_key);
  auto header = payments::sign_payment((*entries)[1], key, unix_secs());
  REQUIRE(header);
  auto paid = request(n, "GET", "/" + hash + ".cgi/", "", {std::string("PAYMENT-SIGNATURE: ") + *header});
  INFO(paid.body);
  CHECK(paid.status == 200);
  auto receipt = json::parse(crypto::base64_decode(paid.header("payment-response")).value());
  CHECK(receipt["success"] == true);
  CHECK(receipt["network"] == "eip155:1");
  auto ledger = json::parse(request(n, "GET", "/payments/ledger").body);
  REQUIRE(ledger["entries"].size() == 1);
  CHECK(ledger["entries"][0]["pay_to"] == other_payee);

  auto shown = json::parse(request(n, "GET", "/offers/" + hash).body);
  CHECK(shown["prices"].size() == 2);
  CHECK(shown["prices"][1]["pay_to"] == other_payee);

  // A node that takes none of the options refuses the offer; --testnet prices a decimal on the test networks.
  node sepolia(dir.file("b"), {"--owner", owner, "--payment-networks", "base-sepolia"});
  auto refused = offer_cmd({"--exe", handler, "--cgi", "-P", R"({"network":"base","amount":"0.01"})", "--upload", sepolia.url("")});
  CHECK(refused.status != 0);
  CHECK(refused.err.find("no_payable_price") != std::string::npos);
  auto test_hash = uploaded(offer_cmd({"--exe", handler, "--cgi", "--price", "0.003", "--testnet", "--upload", sepolia.url("")}));
  auto test_shown = json::parse(request(sepolia, "GET", "/offers/" + test_hash).body);
  REQUIRE(test_shown["prices"].size() == 1);
  CHECK(test_shown["prices"][0]["network"] == "base-sepolia");
  CHECK(test_shown["prices"][0]["amount"] == "3000");
  CHECK(request(sepolia, "GET", "/" + test_hash + ".cgi/").status == 402);
  auto bad = offer_cmd({"--exe", handler, "--cgi", "-P", R"({"network":"base","amount":"0.01","token":"DAI"})"});
  CHECK(bad.err.find("bad_price") != std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
  CHECK(sepolia.stop(SIGTERM) == 0);
}

TEST_CASE("a pool makes calls free while it has room; then the price applies", "[node][offer][pool]") {
  temp_dir dir;
  node n(dir.file("a"), {"--owner", owner, "--pool", "free=2/1h,trial=1"});
  std::string handler = write_script(dir, "ok.sh", "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n");
  auto hash = uploaded(offer_cmd({"--exe", handler, "--cgi", "--price", "0.01", "--pool", "free", "--upload", n.url("")}));
  CHECK(request(n, "GET", "/" + hash + ".cgi/").status == 200);
  CHECK(request(n, "GET", "/" + hash + ".cgi/").status == 200);
  CHECK(request(n, "GET", "/" + hash + ".cgi/").status == 402);
  auto pools = n.health()["pools"];
  REQUIRE(pools.size() == 2);
  CHECK(pools[0]["name"] == "free");
  CHECK(pools[0]["kind"] == "calls_per_period");
  CHECK(pools[0]["in_use"] == 2);
  CHECK(pools[0]["free_calls"] == 2);
  CHECK(pools[0]["calls_when_full"] == 1);
  CHECK(pools[1]["kind"] == "runs_at_once");
  CHECK(request(n, "GET", "/").body.find("free</code>: 2 of 2 calls") != std::string::npos);
  // A runs-at-once pool gives its room back when a call ends.
  auto trial = uploaded(offer_cmd({"--exe", handler, "--cgi", "--price", "0.01", "--pool", "trial", "--upload", n.url("")}));
  for (int i = 0; i < 3; ++i) CHECK(request(n, "GET", "/" + trial + ".cgi/").status == 200);
  // An unknown pool name is no free tier.
  auto nowhere = uploaded(offer_cmd({"--exe", handler, "--cgi", "--price", "0.01", "--pool", "nowhere", "--upload", n.url("")}));
  CHECK(request(n, "GET", "/" + nowhere + ".cgi/").status == 402);
  auto bad = run({hearth_bin, "serve", "--data-dir", dir.file("c"), "--pool", "Bad Name=3"});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("--pool is NAME=N") != std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("CPU units: runs that do not fit wait; an offer reserving more than the node has is refused", "[node][offer][cpu]") {
  temp_dir dir;
  node n(dir.file("a"), {"--owner", owner, "--cpu-units", "1000", "--max-running-tasks", "4"});
  CHECK(n.health()["node"]["cpu_units"] == 1000);
  // Each run says when it started and ended (ns); a second of work between.
  std::string handler = write_script(dir, "span.sh", "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
                                                     "date +%s%N\nsleep 2\ndate +%s%N\n");
  auto spans = [&](const std::string& hash) {
    auto one = [&] { return request(n, "GET", "/" + hash + ".cgi/").body; };
    auto a = std::async(std::launch::async, one);
    auto b = std::async(std::launch::async, one);
    std::vector<std::pair<long long, long long>> out;
    for (auto* f : {&a, &b}) {
      std::istringstream in(f->get());
      long long start = 0, end = 0;
      in >> start >> end;
      REQUIRE(end > start);
      out.emplace_back(start, end);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto whole = uploaded(offer_cmd({"--exe", handler, "--cgi", "--price", "0", "--cpu-units", "1000", "--upload", n.url("")}));
  auto serial = spans(whole);
  CHECK(serial[1].first >= serial[0].second);  // the second waited for the first
  auto half = uploaded(offer_cmd({"--exe", handler, "--cgi", "--price", "0", "--cpu-units", "500", "--upload", n.url("")}));
  auto both = spans(half);
  CHECK(both[1].first < both[0].second);  // two halves fit at once
  CHECK(json::parse(request(n, "GET", "/offers/" + half).body)["limits"]["cpu_units"] == 500);
  auto greedy = offer_cmd({"--exe", handler, "--cgi", "--price", "0", "--cpu-units", "3000", "--upload", n.url("")});
  CHECK(greedy.status != 0);
  CHECK(greedy.err.find("limits_exceed_node") != std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("architecture variants: the node runs its own, refuses an offer with none", "[node][offer][arch]") {
  temp_dir dir;
  node n(dir.file("a"), {"--owner", owner});
  CHECK(n.health()["node"]["arch"] == "x86_64");
  std::string arm = foreign_elf(dir, 183, "probe-arm64");
  auto hash = uploaded(offer_cmd({"--exe", "aarch64:" + arm, "--exe", SANDBOX_PROBE, "--batch", "--price", "0",
                                  "--args-extendable", "--upload", n.url("")}));
  auto shown = json::parse(request(n, "GET", "/offers/" + hash).body);
  REQUIRE(shown["variants"].size() == 2);
  CHECK(shown["variants"][0]["arch"] == "aarch64");
  CHECK(shown["variants"][1]["arch"] == "x86_64");
  auto ran = run({hearth_bin, "run", hash, "--node", n.url(""), "--", "socket"});
  INFO(ran.err);
  CHECK(ran.status == 0);
  CHECK(ran.out.find("denied") == 0);  // the x86_64 probe ran (and found no network)

  auto none = offer_cmd({"--exe", arm, "--batch", "--price", "0", "--upload", n.url("")});
  CHECK(none.err.find("unsupported_architecture") != std::string::npos);
  auto lying = offer_cmd({"--exe", "x86_64:" + arm, "--batch", "--price", "0"});
  CHECK(lying.err.find("arch_mismatch") != std::string::npos);
  auto twice = offer_cmd({"--exe", SANDBOX_PROBE, "--exe", "x86_64:" + std::string(SANDBOX_PROBE), "--batch", "--price", "0"});
  CHECK(twice.err.find("one per architecture") != std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("an executable the node fetches over https, checked before it is stored", "[node][offer][fetch]") {
  temp_dir dir;
  auto openssl = [](std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    auto r = run(args);
    INFO(r.err);
    REQUIRE(r.status == 0);
  };
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
           "/CN=127.0.0.1", "-keyout", dir.file("srv.key"), "-out", dir.file("srv.pem"), "-addext",
           "subjectAltName=IP:127.0.0.1"});
  std::filesystem::create_directories(dir.file("www"));
  std::filesystem::copy_file(SANDBOX_PROBE, dir.file("www/probe"));
  child_process server({"sh", "-c", "cd " + dir.file("www") + " && exec openssl s_server -accept 127.0.0.1:0 -cert " +
                                        dir.file("srv.pem") + " -key " + dir.file("srv.key") + " -WWW 1>&2"});
  auto accept = server.wait_for_line("ACCEPT", 10s);
  REQUIRE(accept);
  std::string url = "https://" + accept->substr(accept->find("127.0.0.1")) + "/probe";
  url.erase(std::remove_if(url.begin(), url.end(), [](char c) { return c == '\n' || c == '\r'; }), url.end());
  std::string sha = hex_sha256(read_text(SANDBOX_PROBE));

  node n(dir.file("a"), {"--owner", owner, "--fetch-cacert", dir.file("srv.pem")});
  node untrusting(dir.file("b"), {"--owner", owner});
  std::vector<std::string> args = {"--exe", "x86_64:" + url + "#" + sha, "--batch", "--price", "0", "--args-extendable"};
  auto signed_offer = run({hearth_bin, "--cacert", dir.file("srv.pem"), "offer", "--key", owner_key, args[0], args[1],
                           args[2], args[3], args[4], args[5]});
  INFO(signed_offer.err);
  REQUIRE(signed_offer.status == 0);
  auto so = json::parse(signed_offer.out);
  std::vector<std::string> headers = {"X-Hearth-Offer: " + so["canonical"].get<std::string>(),
                                      "X-Hearth-Signature: " + so["signature"].get<std::string>()};
  // Not what was signed at the URL: refused, nothing stored.
  std::filesystem::remove(dir.file("www/probe"));
  std::ofstream(dir.file("www/probe")) << "#!/bin/sh\necho swapped\n";
  auto swapped = request(n, "POST", "/offers", "", headers);
  INFO(swapped.body);
  CHECK(swapped.status == 422);
  CHECK(request(n, "GET", "/offers/" + so["hash"].get<std::string>()).status == 404);
  std::filesystem::remove(dir.file("www/probe"));
  std::filesystem::copy_file(SANDBOX_PROBE, dir.file("www/probe"));
  // A certificate the node does not trust: the fetch fails, clearly.
  auto distrust = request(untrusting, "POST", "/offers", "", headers);
  CHECK(distrust.status == 502);
  CHECK(json::parse(distrust.body)["error"]["code"] == "executable_fetch_failed");
  // Trusted and intact: stored, shown with its URL, and it runs.
  auto stored = request(n, "POST", "/offers", "", headers);
  INFO(stored.body);
  REQUIRE(stored.status == 201);
  CHECK(json::parse(stored.body)["variants"][0]["url"] == url);
  auto ran = run({hearth_bin, "run", so["hash"].get<std::string>(), "--node", n.url(""), "--", "socket"});
  CHECK(ran.out.find("denied") == 0);
  server.signal(SIGTERM);
  CHECK(n.stop(SIGTERM) == 0);
  CHECK(untrusting.stop(SIGTERM) == 0);
}

TEST_CASE("an MCP tool's offer takes the richer parts too: variants, price options, a pool, CPU units, secrets", "[node][offer][mcp]") {
  temp_dir dir;
  node n(dir.file("a"), {"--owner", owner, "--pool", "free=1/1h"});
  std::string arm = foreign_elf(dir, 183, "word_count-arm64");
  auto hash = uploaded(offer_cmd({"--exe", WORD_COUNT, "--exe", "aarch64:" + arm, "--mcp", "-P",
                                  R"({"network":"base","amount":"0.01","payTo":")" + other_payee + R"("})", "--pool",
                                  "free", "--cpu-units", "500", "--env-private", "TOOL_TOKEN=tt-secret-91", "--upload",
                                  n.url("")}));
  auto shown = json::parse(request(n, "GET", "/offers/" + hash).body);
  CHECK(shown["version"] == 3);
  CHECK(shown["tool"]["name"] == "word_count");
  CHECK(shown["variants"].size() == 2);
  CHECK(shown["private"]["env"]["on_node"] == true);
  auto call = [&] { return run({hearth_bin, "mcp", "call", "word_count", "-a", "text=1 2", "--@", n.url("")}); };
  auto free_call = call();  // the pool's one free call of the hour
  INFO(free_call.err);
  CHECK(free_call.status == 0);
  CHECK(json::parse(free_call.out) == json({{"words", 2}, {"lines", 1}, {"characters", 3}}));
  auto unpaid = call();
  CHECK(unpaid.status == 1);
  CHECK(unpaid.err.find("[payment_required]") != std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
  CHECK(n.proc->output().find("tt-secret-91") == std::string::npos);
}
