// The cluster's figures, each beside the same work done on one node:
//  1. a CGI call that member C forwards to holder A (two real `hearth
//     serve` processes joined over CAF's OpenSSL middleman, cluster
//     listeners on 127.0.0.2 and .4) beside the same call made on A:
//     latency p50/p99 over N sequential keep-alive requests, then
//     requests/s with K clients at once. Target: forwarding adds < 1 ms
//     p50 and keeps >= 0.8x the local throughput.
//  2. typed request/response messages between two processes over the same
//     mutual-TLS middleman (this program re-run as an echo server), beside
//     the same between two actors of one process: round trips/s one at a
//     time, and with 64 in flight.
// Usage: cluster_bench HEARTH_BIN HELLO_CGI [requests=500] [clients=8] [messages=50000]
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench_rows.hpp"
#include "support/process.hpp"
#include "support/raw_http.hpp"

using namespace hearth;
using namespace std::chrono;

namespace {

const std::string owner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const std::string owner_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

[[noreturn]] void die(const std::string& why) {
  std::cerr << "cluster_bench: " << why << "\n";
  std::exit(1);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

std::string capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) die("no match for " + pattern + " in: " + text);
  return m[1];
}

struct certs {
  std::string dir;
  std::string hearth;
  void make(const std::string& name, const std::string& ip) {
    auto made = test::run({hearth, "cluster", "cert", "--ca", dir + "/ca", "--name", name, "--ip", ip, "--out", dir + "/" + name});
    if (made.status != 0) die("hearth cluster cert: " + made.err);
  }
  std::string pem(const std::string& name) const { return dir + "/" + name + "/" + name + ".pem"; }
  std::string key(const std::string& name) const { return dir + "/" + name + "/" + name + ".key"; }
  std::string ca() const { return dir + "/ca/ca.pem"; }
};

struct member {
  std::unique_ptr<test::child_process> proc;
  std::uint16_t port = 0;
  std::string cluster_address;
};

member start_member(const certs& c, const std::string& name, const std::string& ip, const std::string& join) {
  std::vector<std::string> argv{c.hearth, "serve", "--listen", "127.0.0.1:0", "--data-dir", c.dir + "/data-" + name,
                                "--owner", owner, "--max-running-tasks", "8", "--cluster-listen", ip + ":0",
                                "--cluster-name", name, "--cluster-cert", c.pem(name), "--cluster-key", c.key(name),
                                "--cluster-ca", c.ca(), "--cluster-heartbeat-ms", "500"};
  if (!join.empty()) argv.insert(argv.end(), {"--join", join});
  member m;
  m.proc = std::make_unique<test::child_process>(argv);
  auto line = m.proc->wait_for_line("hearth serving", 30s);
  if (!line) die(name + " did not start: " + m.proc->output());
  m.port = static_cast<std::uint16_t>(std::stoi(capture(*line, R"(url=http://127\.0\.0\.1:(\d+))")));
  m.cluster_address = capture(m.proc->output(), R"(cluster listening address=(\S+))");
  return m;
}

// User + system CPU seconds a process has used.
double cpu_secs(int pid) {
  std::string stat = test::read_text("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string get_request(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }

// N sequential calls on one keep-alive connection: each one's milliseconds.
std::vector<double> latencies(std::uint16_t port, const std::string& path, int n) {
  test::raw_connection c(port);
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    auto t = steady_clock::now();
    if (!c.send(get_request(path))) die("send failed");
    auto r = c.read_response(30s);
    if (!r || r->status != 200) die("call " + path + " failed: " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
    ms.push_back(duration<double, std::milli>(steady_clock::now() - t).count());
  }
  return ms;
}

// clients connections, each making per_client calls in turn: calls/s.
double throughput(std::uint16_t port, const std::string& path, int clients, int per_client) {
  std::atomic<int> failed{0};
  auto t = steady_clock::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < clients; ++k)
    threads.emplace_back([&] {
      test::raw_connection c(port);
      for (int i = 0; i < per_client; ++i) {
        auto r = c.send(get_request(path)) ? c.read_response(30s) : std::nullopt;
        if (!r || r->status != 200) ++failed;
      }
    });
  for (auto& th : threads) th.join();
  double secs = duration<double>(steady_clock::now() - t).count();
  if (failed > 0) die(std::to_string(failed.load()) + " calls failed under load");
  return clients * per_client / secs;
}

using echo_type = caf::typed_actor<caf::replies_to<std::string>::with<std::string>>;

echo_type::behavior_type echo() {
  return {[](std::string& s) { return std::move(s); }};
}

void configure_tls(caf::actor_system_config& cfg, const certs& c, const std::string& name) {
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = c.pem(name);
  cfg.openssl_key = c.key(name);
  cfg.openssl_cafile = c.ca();
}

// The echo server of part 2: publishes an echo actor on 127.0.0.2 and
// serves until it is signalled.
int echo_server(const std::string& dir) {
  certs c{dir, ""};
  caf::actor_system_config cfg;
  configure_tls(cfg, c, "a");
  caf::actor_system sys{cfg};
  auto e = sys.spawn(echo);
  auto port = caf::openssl::publish(e, 0, "127.0.0.2", true);
  if (!port) die("publish: " + sys.render(port.error()));
  std::cerr << "echo listening port=" << *port << std::endl;
  for (;;) ::pause();
}

struct message_rates {
  double one_at_a_time;
  double windowed;
};

// Round trips/s to e: sequential, then with `window` requests in flight.
message_rates measure_messages(caf::actor_system& sys, const echo_type& e, int messages) {
  const std::string payload(64, 'x');
  message_rates rates{};
  {
    caf::scoped_actor self{sys};
    int sequential = std::max(1, messages / 10);
    auto t = steady_clock::now();
    for (int i = 0; i < sequential; ++i)
      self->request(e, caf::infinite, payload).receive([](std::string&) {}, [](caf::error& err) { die(to_string(err)); });
    rates.one_at_a_time = sequential / duration<double>(steady_clock::now() - t).count();
  }
  constexpr int window = 64;
  auto t = steady_clock::now();
  auto pump = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto sent = std::make_shared<int>(0);
    auto answered = std::make_shared<int>(0);
    auto done = std::make_shared<caf::response_promise>();
    std::shared_ptr<std::function<void()>> send_one = std::make_shared<std::function<void()>>();
    *send_one = [=] {
      ++*sent;
      self->request(e, caf::infinite, payload)
          .then(
              [=](std::string&) {
                if (++*answered == messages) return done->deliver(caf::ok_atom::value);
                if (*sent < messages) (*send_one)();
              },
              [](caf::error& err) { die(to_string(err)); });
    };
    return {[=](caf::ok_atom) {
      *done = self->make_response_promise();
      for (int i = 0; i < window && *sent < messages; ++i) (*send_one)();
      return *done;
    }};
  });
  caf::scoped_actor self{sys};
  self->request(pump, caf::infinite, caf::ok_atom::value).receive([](caf::ok_atom) {}, [](caf::error& err) { die(to_string(err)); });
  rates.windowed = messages / duration<double>(steady_clock::now() - t).count();
  caf::anon_send_exit(pump, caf::exit_reason::user_shutdown);
  return rates;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "echo-server") return echo_server(argv[2]);
  if (argc < 3) die("usage: cluster_bench HEARTH_BIN HELLO_CGI [requests=500] [clients=8] [messages=50000]");
  std::string hearth = argv[1], handler = argv[2];
  bool quick = hearth::bench::quick();
  int requests = argc > 3 ? std::atoi(argv[3]) : quick ? 20 : 500;
  int clients = argc > 4 ? std::atoi(argv[4]) : 8;
  int messages = argc > 5 ? std::atoi(argv[5]) : quick ? 2000 : 50000;
  if (requests < 1 || clients < 1 || messages < 1) die("requests, clients and messages are positive");

  char tmpl[] = "/tmp/hearth-cluster-bench.XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp failed");
  certs c{tmpl, hearth};
  if (test::run({hearth, "cluster", "ca", "--out", c.dir + "/ca"}).status != 0) die("hearth cluster ca failed");
  c.make("a", "127.0.0.2");
  c.make("c", "127.0.0.4");

  // Part 1: one CGI offer held by A, called on A and through C.
  {
    auto a = start_member(c, "a", "127.0.0.2", "");
    auto m = start_member(c, "c", "127.0.0.4", a.cluster_address);
    auto up = test::run({hearth, "offer", "--key", owner_key, "--upload", "http://127.0.0.1:" + std::to_string(a.port),
                         "--exe", handler, "--cgi", "--price", "0"});
    if (up.status != 0) die("upload: " + up.err);
    std::string path = "/" + up.out.substr(0, 64) + ".cgi/";
    auto deadline = steady_clock::now() + 15s;  // until C's directory has the offer
    for (;;) {
      test::raw_connection probe(m.port);
      auto r = probe.send(get_request(path)) ? probe.read_response(10s) : std::nullopt;
      if (r && r->status == 200) break;
      if (steady_clock::now() > deadline) die("C never served A's offer: " + m.proc->output());
      std::this_thread::sleep_for(100ms);
    }
    latencies(a.port, path, 20);  // warm both paths (zygote, connections)
    latencies(m.port, path, 20);
    auto local = latencies(a.port, path, requests);
    auto forwarded = latencies(m.port, path, requests);
    int per_client = std::max(1, requests / clients);
    double local_rate = throughput(a.port, path, clients, per_client);
    double a_cpu = cpu_secs(a.proc->pid()), c_cpu = cpu_secs(m.proc->pid());
    double forwarded_rate = throughput(m.port, path, clients, per_client);
    double calls = clients * per_client;
    double a_us = (cpu_secs(a.proc->pid()) - a_cpu) / calls * 1e6, c_us = (cpu_secs(m.proc->pid()) - c_cpu) / calls * 1e6;
    std::printf("\nCGI call (hello_cgi, warm sandbox), %d sequential calls; then %d clients x %d calls\n", requests, clients,
                per_client);
    std::printf("  %-34s p50 %6.2f ms  p99 %6.2f ms  %7.1f calls/s\n", "peer: on the holder (A)", percentile(local, 0.5),
                percentile(local, 0.99), local_rate);
    std::printf("  %-34s p50 %6.2f ms  p99 %6.2f ms  %7.1f calls/s\n", "hearth: through C, forwarded to A",
                percentile(forwarded, 0.5), percentile(forwarded, 0.99), forwarded_rate);
    std::printf("  forwarding adds %.2f ms p50 (target < 1 ms); throughput %.2fx local (target >= 0.8x)\n",
                percentile(forwarded, 0.5) - percentile(local, 0.5), forwarded_rate / local_rate);
    std::printf("  CPU per forwarded call: holder A %.0f us, forwarder C %.0f us (on one host they share the cores)\n", a_us,
                c_us);
    using hearth::bench::better;
    hearth::bench::row("forwarded CGI call, p50", "ms", percentile(forwarded, 0.5), percentile(local, 0.5),
                       "the same call on the holder", better::lower);
    hearth::bench::row("forwarded CGI calls, 8 clients", "calls/s", forwarded_rate, local_rate, "the same calls on the holder",
                       better::higher, {"ratio_min", 0.8});
    std::fflush(stdout);
    m.proc->signal(SIGTERM);
    a.proc->signal(SIGTERM);
    m.proc->wait_exit(30s);
    a.proc->wait_exit(30s);
  }

  // Part 2: typed messages, across two processes over TLS and within one.
  {
    test::child_process server({"/proc/self/exe", "echo-server", c.dir});
    auto line = server.wait_for_line("echo listening", 30s);
    if (!line) die("echo server did not start: " + server.output());
    auto port = static_cast<std::uint16_t>(std::stoi(capture(*line, R"(port=(\d+))")));
    caf::actor_system_config cfg;
    configure_tls(cfg, c, "c");
    caf::actor_system sys{cfg};
    auto remote = caf::openssl::remote_actor<echo_type>(sys, "127.0.0.2", port);
    if (!remote) die("connect: " + sys.render(remote.error()));
    auto across = measure_messages(sys, *remote, messages);
    auto local_echo = sys.spawn(echo);
    auto local = measure_messages(sys, local_echo, messages);
    caf::anon_send_exit(local_echo, caf::exit_reason::user_shutdown);
    std::printf("\ntyped request/response messages (64-byte string), %d in flight at most\n", 64);
    std::printf("  %-34s %9.0f round trips/s one at a time  %9.0f with 64 in flight\n", "peer: two actors, one process",
                local.one_at_a_time, local.windowed);
    std::printf("  %-34s %9.0f round trips/s one at a time  %9.0f with 64 in flight\n", "hearth: two nodes, TLS middleman",
                across.one_at_a_time, across.windowed);
    hearth::bench::row("typed messages across nodes, 64 in flight", "round trips/s", across.windowed, local.windowed,
                       "two actors, one process", hearth::bench::better::higher);
    std::fflush(stdout);
    server.signal(SIGTERM);
    server.wait_exit(10s);
  }
  test::run({"rm", "-rf", c.dir});
  return 0;
}
