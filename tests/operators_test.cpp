// What operators and users meet beside the API, against the real `hearth
// serve`: its /metrics read by Prometheus's own tools (promtool checks the
// exposition; a real Prometheus scrapes the node and answers a query about
// it), the index at / and the OpenAPI description checked against the routes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

#include "support/process.hpp"
#include "support/raw_http.hpp"
#include "support/skip.hpp"
#include "support/test_node.hpp"
#include "support/x402_payer.hpp"

using namespace hearth::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// name{labels} -> value, from the exposition text.
std::map<std::string, double> parse_samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

double sum_of(const std::map<std::string, double>& samples, const std::string& prefix) {
  double sum = 0;
  for (const auto& [name, value] : samples)
    if (name.rfind(prefix, 0) == 0) sum += value;
  return sum;
}

std::string scrape(const node& n) {
  auto r = request(n, "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  return r.body;
}

bool have(const char* program) { return run({"sh", "-c", std::string("command -v ") + program}).status == 0; }

}  // namespace

TEST_CASE("GET /metrics counts what the node did, in text promtool accepts", "[metrics]") {
  temp_dir dir;
  node n(dir.path() + "/data", {"--payment-networks", "base-sepolia"});
  std::string key = "@" + dir.path() + "/data/node.key";
  auto free_offer = offer_script(n, key, write_script(dir, "hi.cgi", "printf 'Content-Type: text/plain\\n\\nhi\\n'\n"));
  auto priced = offer_script(n, key, write_script(dir, "paid.cgi", "printf 'Content-Type: text/plain\\n\\npaid\\n'\n"),
                             {"--price", "0.01"});
  for (int i = 0; i < 3; ++i) CHECK(request(n, "GET", "/" + free_offer + ".cgi/x").status == 200);
  CHECK(request(n, "GET", "/" + priced + ".cgi/").status == 402);  // no payment came
  auto refused = request(n, "GET", "/" + priced + ".cgi/", "", {"X-PAYMENT: bm90IGEgcGF5bWVudA=="});
  CHECK(refused.status != 200);
  auto paid = run({hearth_bin, "curl", n.url("/" + priced + ".cgi/"), "--key", buyer_hex, "--max", "USDC:0.05"});
  INFO(paid.err);
  CHECK(paid.status == 0);
  // A path a stranger makes up becomes its route's shape, never a series of its own.
  std::string made_up = "/offers/zz" + std::to_string(::getpid()) + "made-up";
  auto before = parse_samples(scrape(n));
  CHECK(request(n, "GET", made_up).status == 404);

  std::string text = scrape(n);
  std::string summary;  // the text without histogram buckets, for a failure's message
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.find("_bucket{") == std::string::npos && line[0] != '#') summary += line + "\n";
  INFO(summary);
  auto s = parse_samples(text);
  CHECK(s["hearth_build_info{version=\"" HEARTH_VERSION "\"}"] == 1);
  CHECK(s["hearth_http_requests_total{route=\"/{offer}.cgi\",status=\"200\"}"] >= 4);
  CHECK(s["hearth_http_requests_total{route=\"/{offer}.cgi\",status=\"402\"}"] >= 1);
  std::string not_found = "hearth_http_requests_total{route=\"/offers/{id}\",status=\"404\"}";
  CHECK(s[not_found] == before[not_found] + 1);
  CHECK(text.find("made-up") == std::string::npos);
  CHECK(s["hearth_http_request_duration_seconds_count{route=\"/{offer}.cgi\"}"] >= 5);
  CHECK(s["hearth_tasks_total{ending=\"exited\"}"] >= 4);
  CHECK(s["hearth_sandbox_launch_duration_seconds_count{mode=\"cold\"}"] +
            s["hearth_sandbox_launch_duration_seconds_count{mode=\"warm\"}"] >= 4);
  CHECK(s["hearth_payments_required_total"] >= 1);
  CHECK(s["hearth_payments_verified_total{network=\"eip155:84532\"}"] == 1);
  CHECK(s["hearth_payments_ended_total{state=\"settled\",network=\"eip155:84532\"}"] == 1);
  CHECK(sum_of(s, "hearth_payments_settled_atomic_units_total{network=\"eip155:84532\",asset=") == 10000);
  CHECK(s["hearth_run_slots{state=\"free\"}"] >= 1);
  CHECK(s["hearth_actors_running"] > 5);
  CHECK(s["hearth_guests{state=\"running\"}"] == 0);
  CHECK(s["hearth_process_resident_memory_bytes"] > 1e6);
  CHECK(s["hearth_process_cpu_seconds_total"] > 0);
  CHECK(s.count("hearth_storage_memtable_bytes") == 1);
  CHECK(s.count("hearth_storage_write_stalls_total{kind=\"stop\"}") == 1);
  // Counters only grow.
  auto again = parse_samples(scrape(n));
  CHECK(again["hearth_http_requests_total{route=\"/metrics\",status=\"200\"}"] >= 1);
  CHECK(again["hearth_process_cpu_seconds_total"] >= s["hearth_process_cpu_seconds_total"]);

  // The CLI's status commands say the same as JSON.
  auto ledger = run({hearth_bin, "pay", "ledger", "--json", "--node", n.url("")});
  REQUIRE(ledger.status == 0);
  auto totals = json::parse(ledger.out);
  REQUIRE(totals.size() == 1);
  CHECK(totals[0]["amount_atomic"] == "10000");
  CHECK(totals[0]["payments"] == 1);
  auto cluster = run({hearth_bin, "cluster", "status", "--json", "--node", n.url("")});
  CHECK(json::parse(cluster.out)["clustered"] == false);
  auto tools = run({hearth_bin, "mcp", "list", "--json", "--url", n.url("/mcp")});
  INFO(tools.err);
  CHECK(json::parse(tools.out).is_array());

  auto head = run({"curl", "-sS", "-I", "--max-time", "10", n.url("/metrics")});
  CHECK(head.out.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(request(n, "POST", "/metrics").status == 405);

  if (!have("promtool")) HEARTH_SKIP("no promtool (Debian's prometheus package, scripts/install-deps.sh installs it)");
  std::string file = dir.file("metrics.txt");
  std::ofstream(file) << text;
  auto checked = run({"sh", "-c", "promtool check metrics < " + file});
  INFO(checked.out << checked.err);
  CHECK(checked.status == 0);
  CHECK(checked.out.empty());  // no lint finding either
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("a real Prometheus scrapes the node and answers a query about it", "[prometheus]") {
  if (!have("prometheus")) HEARTH_SKIP("no prometheus (Debian's prometheus package, scripts/install-deps.sh installs it)");
  temp_dir dir;
  node n(dir.path() + "/data");
  CHECK(request(n, "GET", "/health").status == 200);
  auto port = free_loopback_port();
  std::string config = dir.file("prometheus.yml");
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                           "scrape_configs:\n  - job_name: hearth\n    static_configs:\n      - targets: ['127.0.0.1:"
                        << n.port << "']\n";
  child_process prometheus({"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.file("tsdb"),
                            "--web.listen-address=127.0.0.1:" + std::to_string(port)});
  REQUIRE(prometheus.wait_for_line("Server is ready to receive web requests", 60s));

  // Prometheus scrapes once a second: the query is asked until the sample is in (bounded).
  json result;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = run({"curl", "-sS", "--max-time", "5",
                  "http://127.0.0.1:" + std::to_string(port) + "/api/v1/query?query=hearth_http_requests_total"});
    if (r.status == 0) {
      auto answer = json::parse(r.out, nullptr, false);
      if (!answer.is_discarded() && answer["status"] == "success" && !answer["data"]["result"].empty()) {
        result = answer["data"]["result"];
        break;
      }
    }
    std::this_thread::sleep_for(250ms);  // a pause between polls of a condition (bounded above), not a wait for it
  }
  INFO(prometheus.output());
  REQUIRE(result.is_array());
  bool health_seen = false;
  for (const auto& series : result)
    if (series["metric"]["route"] == "/health" && series["metric"]["job"] == "hearth") health_seen = true;
  CHECK(health_seen);

  auto targets = run({"curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + std::to_string(port) + "/api/v1/targets"});
  auto t = json::parse(targets.out, nullptr, false);
  REQUIRE_FALSE(t.is_discarded());
  REQUIRE(t["data"]["activeTargets"].size() == 1);
  CHECK(t["data"]["activeTargets"][0]["health"] == "up");
  CHECK(t["data"]["activeTargets"][0]["lastError"] == "");
  prometheus.signal(SIGTERM);
  CHECK(prometheus.wait_exit(30s));
  CHECK(n.stop(SIGTERM) == 0);
}

namespace {

// A request to each documented operation, its path's parameters filled in.
std::string concrete(std::string path, const std::string& offer) {
  for (auto [param, value] : {std::pair<std::string, std::string>{"{hash}", offer}, {"{id}", "0"}, {"{kind}", "env"},
                              {"{path}", "x"}})
    for (auto at = path.find(param); at != std::string::npos; at = path.find(param)) path.replace(at, param.size(), value);
  return path;
}

bool no_such_endpoint(const response& r) {
  if (r.status == 405) return true;
  auto body = json::parse(r.body, nullptr, false);
  return r.status == 404 && !body.is_discarded() && body.contains("error") && body["error"]["message"] == "no such endpoint";
}

}  // namespace

TEST_CASE("/openapi.json describes every route the node serves, and every route it describes answers", "[openapi]") {
  temp_dir dir;
  node n(dir.path() + "/data");
  auto offer = offer_script(n, "@" + dir.path() + "/data/node.key",
                            write_script(dir, "hi.cgi", "printf 'Content-Type: text/plain\\n\\nhi\\n'\n"));
  auto r = request(n, "GET", "/openapi.json");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  auto doc = json::parse(r.body);
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["info"]["version"] == HEARTH_VERSION);
  std::vector<std::string> documented;
  for (const auto& [path, ops] : doc["paths"].items()) {
    documented.push_back(path);
    for (const auto& [method, operation] : ops.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      auto target = concrete(path, offer);
      auto answer = request(n, upper, target, upper == "GET" || upper == "DELETE" ? "" : "{}",
                            {"Content-Type: application/json"});
      INFO(upper << " " << target << " answered " << answer.status << " " << answer.body);
      CHECK_FALSE(no_such_endpoint(answer));
      CHECK(operation.contains("summary"));
      CHECK(operation["responses"].contains("default"));
    }
  }
  CHECK(request(n, "GET", "/" + offer + ".cgi/x").body == "hi\n");

  // Every path the routes compare a request's path with is documented: an
  // exact one as it is, a prefix as the start of one, an action word as the
  // end of one.
  auto documents = [&](const std::string& literal, bool prefix, bool suffix) {
    for (const auto& d : documented) {
      if (!prefix && !suffix && d == literal) return true;
      if (prefix && d.rfind(literal, 0) == 0) return true;
      if (suffix && d.size() > literal.size() && d.compare(d.size() - literal.size(), literal.size(), literal) == 0) return true;
    }
    return false;
  };
  std::regex exact(R"re((?:==|!=) "(/[^"]*)")re"), prefix(R"re(rfind\("(/[^"]*)", 0\))re"),
      word(R"re((?:action|part|id) [!=]= "([a-z_]+)")re");
  int literals = 0;
  for (const auto& entry : std::filesystem::directory_iterator(HEARTH_SOURCE_DIR "/net")) {
    if (entry.path().extension() != ".cpp") continue;
    std::string source = read_text(entry.path().string());
    for (auto [re, is_prefix, is_word] : {std::tuple{&exact, false, false}, {&prefix, true, false}, {&word, false, true}})
      for (std::sregex_iterator it(source.begin(), source.end(), *re), end; it != end; ++it, ++literals) {
        std::string literal = (*it)[1];
        INFO(entry.path().filename().string() << ": " << literal);
        CHECK(documents(is_word ? "/" + literal : literal, is_prefix, is_word));
      }
  }
  CHECK(literals > 30);
  CHECK(n.stop(SIGTERM) == 0);
}

TEST_CASE("GET / lists the offers and how to call each, as HTML and as JSON", "[index]") {
  temp_dir dir;
  node n(dir.path() + "/data", {"--payment-networks", "base-sepolia"});
  std::string key = "@" + dir.path() + "/data/node.key";
  auto free_offer = offer_script(n, key, write_script(dir, "hi.cgi", "printf 'Content-Type: text/plain\\n\\nhi\\n'\n"),
                                 {"--name", "greeter", "--description", "says <hi>"});
  auto priced = offer_script(n, key, write_script(dir, "paid.cgi", "printf 'Content-Type: text/plain\\n\\npaid\\n'\n"),
                             {"--price", "0.02", "--name", "paid-greeter"});

  // As a client reaches it (curl sends the node's host and port as Host).
  auto as_json = run({"curl", "-sS", "--max-time", "10", "-H", "Accept: application/json", n.url("/")});
  REQUIRE(as_json.status == 0);
  auto index = json::parse(as_json.out);
  REQUIRE(index["offers"].size() == 2);
  std::map<std::string, json> by_name;
  for (const auto& o : index["offers"]) by_name[o["name"]] = o;
  CHECK(by_name["greeter"]["price"] == "free");
  CHECK(by_name["greeter"]["mode"] == "cgi");
  CHECK(by_name["greeter"]["limits"]["ram_mb"].get<int>() > 0);
  CHECK(by_name["paid-greeter"]["price"] == "0.02 USDC per call");
  // The commands shown work as they are.
  std::string curl = by_name["greeter"]["call"]["curl"];
  CHECK(curl == "curl http://127.0.0.1:" + std::to_string(n.port) + "/" + free_offer + ".cgi/");
  auto called = run({"sh", "-c", curl + " -sS --max-time 10"});
  CHECK(called.out == "hi\n");
  std::string hearth_curl = by_name["paid-greeter"]["call"]["hearth_curl"];
  CHECK(hearth_curl.find("--max USDC:0.02") != std::string::npos);
  auto key_file = dir.file("buyer.key");
  std::ofstream(key_file) << buyer_hex << "\n";
  auto at = hearth_curl.find("@buyer.key");
  REQUIRE(at != std::string::npos);
  hearth_curl.replace(at, 10, "@" + key_file);
  auto paid = run({"sh", "-c", hearth_bin + hearth_curl.substr(6)});  // "hearth" is this build's binary
  INFO(paid.err);
  CHECK(paid.out == "paid\n");
  CHECK(priced.size() == 64);

  auto html = request(n, "GET", "/", "", {"Accept: text/html"});  // Host: 127.0.0.1, no port
  CHECK(html.header("content-type").rfind("text/html", 0) == 0);
  CHECK(html.body.find("greeter") != std::string::npos);
  CHECK(html.body.find("says &lt;hi&gt;") != std::string::npos);  // an offer's text is escaped
  CHECK(html.body.find("says <hi>") == std::string::npos);
  CHECK(html.body.find("hearth curl http://127.0.0.1/" + priced + ".cgi/") != std::string::npos);

  // Paged; a hostile Host header is not reflected.
  auto first = json::parse(request(n, "GET", "/?limit=1", "", {"Accept: application/json"}).body);
  REQUIRE(first["offers"].size() == 1);
  REQUIRE(first["next"].is_string());
  auto second = json::parse(request(n, "GET", "/?limit=1&after=" + first["next"].get<std::string>(), "",
                                    {"Accept: application/json"}).body);
  REQUIRE(second["offers"].size() == 1);
  CHECK(second["offers"][0]["hash"] != first["offers"][0]["hash"]);
  CHECK(request(n, "GET", "/?limit=0").status == 400);
  raw_connection c(n.port);
  c.send("GET / HTTP/1.1\r\nHost: \"><script>x</script>\r\nAccept: text/html\r\n\r\n");
  auto hostile = c.read_response(10s);
  REQUIRE(hostile);
  CHECK(hostile->body.find("<script>") == std::string::npos);
  CHECK(n.stop(SIGTERM) == 0);
}
