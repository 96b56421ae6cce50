// make bench: one node over a million stored offers. Seeds the data dir's
// RocksDB with N signed offers (1,000,000; BENCH_QUICK=1: 20,000), starts
// the node on it and measures, over HTTP on loopback:
//   - activating a cold offer (GET /offers/{hash} of one never asked for:
//     a RocksDB read, a decode, an offer actor spawned), p50 and p99;
//   - the node's RSS with A offers active at once (100,000; quick: 2,000);
//   - GET /offers paging at the first offer and near the last (same cost
//     wanted: a seek, not a scan).
// Usage: scale_bench HEARTH_BIN [offers] [active]
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <regex>
#include <thread>
#include <vector>

#include "bench_rows.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/secp256k1_key.hpp"
#include "crypto/sha256.hpp"
#include "messages/offer.hpp"
#include "storage/offer_codec.hpp"
#include "storage/store.hpp"
#include "support/process.hpp"
#include "support/raw_http.hpp"

using namespace hearth;
using namespace std::chrono;

namespace {

[[noreturn]] void die(const std::string& why) {
  std::cerr << "scale_bench: " << why << "\n";
  std::exit(1);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

double rss_mb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

// N offers, each signed by key and differing by name; their hashes, sorted.
std::vector<std::string> seed(const std::string& db_path, int n) {
  storage::options o;
  o.path = db_path;
  o.sync_writes = false;
  auto db = storage::store::open(o);
  if (!db) die("open " + db_path + ": " + db.error().message);
  auto key = crypto::private_key::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  offer body;
  std::string exe = "scale bench executable";
  auto sha = crypto::sha256(exe);
  body.executable_sha256.assign(sha.begin(), sha.end());
  body.executable_size = exe.size();
  body.arch = "x86_64";
  auto owner = key->to_address();
  body.owner.assign(owner.bytes.begin(), owner.bytes.end());
  body.pay_to = body.owner;
  body.created_at = 1700000000;
  std::vector<std::string> hashes;
  hashes.reserve(static_cast<std::size_t>(n));
  auto start = steady_clock::now();
  for (int i = 0; i < n; ++i) {
    body.name = "offer-" + std::to_string(i);
    stored_offer s;
    s.canonical = storage::canonical_offer(body);
    auto sig = key->sign_digest(crypto::personal_message_digest(crypto::sha256(s.canonical))).to_bytes();
    s.signature.assign(sig.begin(), sig.end());
    s.hash = crypto::to_hex(crypto::sha256(s.canonical));
    s.received_at_ms = 1700000000000;
    if (auto saved = storage::save_offer(**db, s); !saved) die("save: " + saved.error().message);
    hashes.push_back(std::move(s.hash));
    if ((i + 1) % 100000 == 0)
      std::fprintf(stderr, "scale_bench: %d offers stored (%.0f s)\n", i + 1, duration<double>(steady_clock::now() - start).count());
  }
  if (auto flushed = (*db)->flush(); !flushed) die("flush: " + flushed.error().message);
  std::sort(hashes.begin(), hashes.end());
  return hashes;
}

std::string get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }

// GETs on a keep-alive connection, opened again when the node closes it
// (it caps requests per connection).
struct client {
  std::uint16_t port;
  std::unique_ptr<test::raw_connection> c;
  std::optional<test::response> fetch(const std::string& path) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!c) c = std::make_unique<test::raw_connection>(port);
      auto r = c->send(get(path)) ? c->read_response(30s) : std::nullopt;
      if (r) {
        if (r->header("connection") == "close") c.reset();
        return r;
      }
      c.reset();
    }
    return std::nullopt;
  }
};

// Each path once, in turn: milliseconds per answer.
std::vector<double> timed_gets(std::uint16_t port, const std::vector<std::string>& paths) {
  client c{port, nullptr};
  std::vector<double> ms;
  for (const auto& p : paths) {
    auto t = steady_clock::now();
    auto r = c.fetch(p);
    if (!r || r->status != 200) die("GET " + p + ": " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
    ms.push_back(duration<double, std::milli>(steady_clock::now() - t).count());
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: scale_bench HEARTH_BIN [offers] [active]");
  bool quick = bench::quick();
  int n = argc > 2 ? std::atoi(argv[2]) : quick ? 20000 : 1000000;
  int active = argc > 3 ? std::atoi(argv[3]) : quick ? 2000 : 100000;
  active = std::min(active, n);
  test::temp_dir dir;
  auto seeded_at = steady_clock::now();
  auto hashes = seed(dir.path() + "/data/db", n);
  double seed_secs = duration<double>(steady_clock::now() - seeded_at).count();

  test::child_process node({argv[1], "serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path() + "/data"});
  auto line = node.wait_for_line("hearth serving", 120s);
  if (!line) die("the node did not start: " + node.output());
  std::smatch m;
  if (!std::regex_search(*line, m, std::regex(R"(url=http://127\.0\.0\.1:(\d+))"))) die("no url in: " + *line);
  auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  double idle_rss = rss_mb(node.pid());

  // Cold activations: offers spread over the key space, each asked once.
  std::mt19937 rng(42);
  std::vector<std::string> cold;
  for (int i = 0; i < 1000 && i < n; ++i) cold.push_back("/offers/" + hashes[rng() % hashes.size()]);
  auto cold_ms = timed_gets(port, cold);

  // `active` offers alive at once (the idle timeout is a minute): 4 connections.
  auto t0 = steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  std::mutex first_failure_mu;
  std::string first_failure;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      client c{port, nullptr};
      for (int i = k; i < active; i += 4) {
        auto r = c.fetch("/offers/" + hashes[static_cast<std::size_t>(i)]);
        if (r && r->status == 200) continue;
        if (failed++ == 0) {
          std::lock_guard lock(first_failure_mu);
          first_failure = r ? std::to_string(r->status) + " " + r->body : "no answer";
        }
      }
    });
  for (auto& t : threads) t.join();
  if (failed > 0) die(std::to_string(failed.load()) + " activations failed; the first: " + first_failure);
  double activate_secs = duration<double>(steady_clock::now() - t0).count();
  double active_rss = rss_mb(node.pid());

  // Paging: the first page and one near the end, 50 times each.
  std::vector<std::string> first(50, "/offers?limit=100"), last(50, "/offers?limit=100&after=" + hashes[hashes.size() - 150]);
  auto first_ms = timed_gets(port, first);
  auto last_ms = timed_gets(port, last);

  std::printf("\none node over %d stored offers (seeded in %.0f s)\n", n, seed_secs);
  std::printf("  %-44s p50 %6.3f ms  p99 %6.3f ms (target p99 < 1 ms)\n", "cold offer activation, GET /offers/{hash}",
              percentile(cold_ms, 0.5), percentile(cold_ms, 0.99));
  std::printf("  %-44s %8.1f MiB idle, %8.1f MiB with %d active (target < 1024)  %.0f activations/s\n", "node RSS",
              idle_rss, active_rss, active, active / activate_secs);
  std::printf("  %-44s p50 %6.3f ms first page, %6.3f ms near offer %zu\n", "GET /offers?limit=100", percentile(first_ms, 0.5),
              percentile(last_ms, 0.5), hashes.size() - 150);
  using bench::better;
  std::string at = std::to_string(n) + " offers stored";
  bench::row("cold offer activation p99, " + at, "ms", percentile(cold_ms, 0.99), std::nullopt, "", better::lower,
             {"max", 1.0});
  bench::row("node RSS, " + std::to_string(active) + " offers active, " + at, "MiB", active_rss, std::nullopt, "",
             better::lower, {"max", 1024});
  bench::row("GET /offers page near the last offer, " + at, "ms", percentile(last_ms, 0.5), percentile(first_ms, 0.5),
             "the first page", better::lower, {"ratio_min", 0.8});
  node.signal(SIGTERM);
  (void)node.wait_exit(60s);
  return 0;
}
