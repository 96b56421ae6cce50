// The marketplace's figures, each beside a peer measured in the same run:
//  1. submit -> first SSH command answered, p50/p99 over N jobs on a real
//     hub and seller (loopback), beside a bare `sshd -i` started in bwrap
//     by ssh's ProxyCommand with the very same sshd set-up (so the peer pays
//     sshd and the handshake, hearth also the HTTP submit, matchmaking, the
//     environment and its door). Target: p50 below 300 ms.
//  2. a hub holding S seller sessions that heartbeat every second (signed
//     hellos, real WebSockets): the hub's CPU share of one core and its RSS.
//     Target: below 10% of a core and 200 MiB at 1,000 sessions.
// Usage: market_bench HEARTH_BIN [jobs=50] [sessions=1000] [seconds=20]
// Needs root (job environments), sshd, ssh, bwrap.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench_rows.hpp"
#include "client/http_client.hpp"
#include "client/websocket_client.hpp"
#include "crypto/personal_sign.hpp"
#include "crypto/secp256k1_key.hpp"
#include "protocols/market_wire.hpp"
#include "protocols/ssh_key.hpp"
#include "sandbox/job_sshd.hpp"
#include "support/process.hpp"

using namespace hearth;
using namespace std::chrono;
using nlohmann::json;

namespace {

double ms_since(steady_clock::time_point t) { return duration<double, std::milli>(steady_clock::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

struct proc_usage {
  double cpu_secs = 0;
  double rss_mb = 0;
};
proc_usage usage_of(int pid) {
  proc_usage u;
  std::string stat = test::read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  std::vector<std::string> f;
  while (rest >> field) f.push_back(field);
  if (f.size() > 13) u.cpu_secs = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) u.rss_mb = std::stod(line.substr(6)) / 1024.0;
  return u;
}

json post(const std::string& url, const json& body, const std::string& bearer = "") {
  client::client_request req{"POST", url, {{"Content-Type", "application/json"}}, body.dump(), seconds(60), nullptr};
  if (!bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + bearer);
  auto r = client::send_request(req);
  return r ? json::parse(r->body, nullptr, false) : json();
}

int run_quiet(const std::vector<std::string>& argv) { return test::run(argv).status; }

// 1: submit -> first command, hearth vs bwrap'd sshd -i.
void ssh_latency(const std::string& bin, int jobs) {
  test::temp_dir tmp;
  std::string hub_url;
  // The serving line is logged at info: run the hub unquiet here.
  auto hub = std::make_unique<test::child_process>(std::vector<std::string>{
      bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp.file("hub"), "--market-submit-rate", "1000"});
  auto line = hub->wait_for_line("hearth serving", seconds(30));
  std::smatch m;
  if (!line || !std::regex_search(*line, m, std::regex(R"(url=(http://127\.0\.0\.1:\d+))"))) {
    std::cerr << "market_bench: the hub did not start\n" << hub->output();
    return;
  }
  hub_url = m[1];
  test::child_process seller({bin, "seller", "--hub", hub_url, "--data-dir", tmp.file("seller"), "--id", "bench",
                              "--cpus", "64", "--memory", "64g", "--jobs", "100"});
  if (!seller.wait_for_line("seller connected", seconds(30))) {
    std::cerr << "market_bench: the seller did not connect\n" << seller.output();
    return;
  }
  std::string key = tmp.file("buyer");
  run_quiet({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key});
  std::string pub = test::read_text(key + ".pub");
  std::vector<std::string> opts = {"-i", key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
                                   "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10"};
  std::vector<double> hearth_ms, peer_ms;
  int failures = 0;
  for (int i = 0; i < jobs; ++i) {
    auto t0 = steady_clock::now();
    auto job = post(hub_url + "/jobs/submit", {{"ssh_pubkey", pub}, {"cpus", 0.5}, {"mem_limit", "128m"}, {"duration_secs", 120}});
    if (!job.is_object() || job.value("state", "") != "running") {
      ++failures;
      continue;
    }
    std::string known = tmp.file("kh");
    std::ofstream(known, std::ios::trunc) << job["ssh_host_key"].get<std::string>() << "\n";
    std::vector<std::string> argv = {"ssh", "-p", std::to_string(job["ssh_port"].get<unsigned>()), "-o",
                                     "UserKnownHostsFile=" + known};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), {"guest@127.0.0.1", "true"});
    if (run_quiet(argv) == 0) hearth_ms.push_back(ms_since(t0));
    else ++failures;
    client::client_request cancel{"DELETE", hub_url + "/jobs/" + job["job_id"].get<std::string>(),
                                  {{"Authorization", "Bearer " + job["job_token"].get<std::string>()}}, "", seconds(30), nullptr};
    (void)client::send_request(cancel);
  }

  // The peer: the same sshd set-up, one bwrap'd `sshd -i` per connection.
  auto norm = protocols::normalize_ssh_pubkey(pub);
  auto files = sandbox::prepare_job_sshd(tmp.file("peer"), "peer", norm ? *norm : pub,
                                         (duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) + 3600000,
                                         ::geteuid(), "");
  if (!files) {
    std::cerr << "market_bench: peer set-up: " << files.error().message << "\n";
    return;
  }
  std::string proxy = "bwrap --unshare-all --uid 1000 --gid 1000 --ro-bind /usr /usr --symlink usr/lib /lib "
                      "--symlink usr/lib64 /lib64 --symlink usr/bin /bin --symlink usr/sbin /sbin --ro-bind /etc /etc "
                      "--ro-bind " + tmp.file("peer") + "/passwd /etc/passwd --ro-bind " + tmp.file("peer") +
                      "/group /etc/group --ro-bind " + tmp.file("peer") + "/ssh /run/hearth-ssh --proc /proc --dev /dev "
                      "--tmpfs /tmp --tmpfs /home/guest --chdir /home/guest /usr/sbin/sshd -i -e -f /run/hearth-ssh/sshd_config";
  std::string known = tmp.file("peer-kh");
  std::ofstream(known) << "peer " << files->host_public_key << "\n";
  for (int i = 0; i < jobs; ++i) {
    auto t0 = steady_clock::now();
    std::vector<std::string> argv = {"ssh", "-o", "ProxyCommand=" + proxy, "-o", "HostKeyAlias=peer", "-o",
                                     "UserKnownHostsFile=" + known};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), {"guest@peer", "true"});
    if (run_quiet(argv) == 0) peer_ms.push_back(ms_since(t0));
  }
  std::printf("\nsubmit -> first SSH command answered (%d jobs; target p50 < 300 ms)\n", jobs);
  std::printf("  %-44s p50 %7.1f ms  p99 %7.1f ms  (%zu ok, %d failed)\n", "hearth: submit, environment, sshd -i",
              percentile(hearth_ms, 0.5), percentile(hearth_ms, 0.99), hearth_ms.size(), failures);
  std::printf("  %-44s p50 %7.1f ms  p99 %7.1f ms  (%zu ok)\n", "peer: bwrap + sshd -i by ProxyCommand",
              percentile(peer_ms, 0.5), percentile(peer_ms, 0.99), peer_ms.size());
  using hearth::bench::better;
  hearth::bench::row("job submit -> first SSH command, p50", "ms", percentile(hearth_ms, 0.5), percentile(peer_ms, 0.5),
                     "bwrap + sshd -i", better::lower, {"max", 300});
  hearth::bench::row("job submit -> first SSH command, p99", "ms", percentile(hearth_ms, 0.99), percentile(peer_ms, 0.99),
                     "bwrap + sshd -i", better::lower);
  seller.signal(SIGTERM);
  (void)seller.wait_exit(seconds(30));
  hub->signal(SIGTERM);
  (void)hub->wait_exit(seconds(30));
}

// 2: S sessions heartbeating every second against one hub.
void heartbeat_load(const std::string& bin, int sessions, int seconds_measured) {
  test::temp_dir tmp;
  auto hub = std::make_unique<test::child_process>(std::vector<std::string>{
      bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp.file("hub"), "--market-heartbeat-ms", "1000",
      "--http-max-connections", std::to_string(sessions + 100)});
  auto line = hub->wait_for_line("hearth serving", seconds(30));
  std::smatch m;
  if (!line || !std::regex_search(*line, m, std::regex(R"(url=(http://127\.0\.0\.1:\d+))"))) return;
  std::string url = std::string(m[1]) + "/market/sellers";
  auto before_all = usage_of(hub->pid());
  // The hub logs a line per seller: keep its stderr pipe drained, or its logger waits on a full pipe.
  std::atomic<bool> draining{true};
  std::thread drain([&] {
    while (draining) (void)hub->wait_for_line("\x01never\x01", milliseconds(200));
  });
  std::atomic<bool> stop{false};
  std::atomic<int> connected{0}, beats{0};
  std::vector<std::thread> threads;
  const int per_thread = 50;  // each thread drives 50 sessions
  for (int t = 0; t < (sessions + per_thread - 1) / per_thread; ++t)
    threads.emplace_back([&, t] {
      std::vector<std::unique_ptr<client::websocket_client>> mine;
      for (int i = t * per_thread; i < std::min(sessions, (t + 1) * per_thread); ++i) {
        auto ws = client::websocket_client::connect(url, {}, seconds(30));
        if (!ws) {
          static std::atomic<bool> said{false};
          if (!said.exchange(true)) std::cerr << "market_bench: a session did not connect: " << ws.error().message << "\n";
          continue;
        }
        auto first = (*ws)->receive(seconds(10));
        if (!first) {
          static std::atomic<bool> said{false};
          if (!said.exchange(true)) std::cerr << "market_bench: no challenge (closed " << (*ws)->closed() << ")\n";
          continue;
        }
        auto c = protocols::decode_hub_message(first->data);
        if (!c || !std::holds_alternative<protocols::wire_challenge>(*c)) continue;
        auto key = crypto::private_key::generate();
        seller_hello h;
        h.name = "load" + std::to_string(i);
        h.address = crypto::to_0x(key->to_address().bytes);
        h.images = {"host"};
        h.capacity = {4, 8192, 4};
        std::string text = protocols::hello_message(std::get<protocols::wire_challenge>(*c).nonce, h.address, h.name);
        h.signature = key->sign_digest(crypto::personal_message_digest(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                                        text.size()))
                          .to_0x();
        (*ws)->send(protocols::encode(protocols::seller_message{h}), false);
        auto welcome = (*ws)->receive(seconds(10));
        if (!welcome || welcome->data.find("welcome") == std::string::npos) {
          static std::atomic<bool> said{false};
          if (!said.exchange(true))
            std::cerr << "market_bench: no welcome: " << (welcome ? welcome->data : std::string("(none)")) << "\n";
          continue;
        }
        ++connected;
        mine.push_back(std::move(*ws));
      }
      for (std::uint64_t seq = 1; !stop; ++seq) {
        auto t0 = steady_clock::now();
        for (auto& ws : mine) {
          seller_heartbeat hb{seq, {4, 8192, 4}, {}};
          ws->send(protocols::encode(protocols::seller_message{hb}), false);
          ++beats;
        }
        while (!stop && steady_clock::now() - t0 < seconds(1)) std::this_thread::sleep_for(milliseconds(20));
      }
    });
  // Until every session is up (bounded), then the measured window.
  for (auto end = steady_clock::now() + seconds(120); connected < sessions && steady_clock::now() < end;)
    std::this_thread::sleep_for(milliseconds(100));
  std::this_thread::sleep_for(seconds(2));
  auto before = usage_of(hub->pid());
  int beats_before = beats;
  auto t0 = steady_clock::now();
  std::this_thread::sleep_for(seconds(seconds_measured));
  auto after = usage_of(hub->pid());
  double wall = duration<double>(steady_clock::now() - t0).count();
  int beats_in = beats - beats_before;
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("\na hub with %d seller sessions heartbeating every second (%d connected; target < 10%% of a core, < 200 MiB)\n",
              sessions, connected.load());
  std::printf("  %-44s %6.1f%% of one core  RSS %6.1f MiB  (%.0f heartbeats/s; idle hub RSS %.1f MiB)\n",
              "hearth hub", 100.0 * (after.cpu_secs - before.cpu_secs) / wall, after.rss_mb, beats_in / wall,
              before_all.rss_mb);
  using hearth::bench::better;
  hearth::bench::row("hub CPU, " + std::to_string(sessions) + " heartbeating sellers", "% of a core",
                     100.0 * (after.cpu_secs - before.cpu_secs) / wall, std::nullopt, "", better::lower, {"max", 10});
  hearth::bench::row("hub RSS, " + std::to_string(sessions) + " heartbeating sellers", "MiB", after.rss_mb, std::nullopt, "",
                     better::lower, {"max", 200});
  draining = false;
  drain.join();
  if (connected < sessions) {  // say why, from the hub's own log
    std::string log = hub->output();
    std::cerr << "market_bench: only " << connected << " sessions; the hub's log ends:\n"
              << log.substr(log.size() > 2000 ? log.size() - 2000 : 0);
  }
  hub->signal(SIGTERM);
  (void)hub->wait_exit(seconds(30));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: market_bench HEARTH_BIN [jobs=50] [sessions=1000] [seconds=20]\n";
    return 2;
  }
  std::string bin = argv[1];
  bool quick = hearth::bench::quick();
  int jobs = argc > 2 ? std::atoi(argv[2]) : quick ? 3 : 50;
  int sessions = argc > 3 ? std::atoi(argv[3]) : quick ? 20 : 1000;
  int secs = argc > 4 ? std::atoi(argv[4]) : quick ? 2 : 20;
  if (::geteuid() != 0 || ::access("/usr/sbin/sshd", X_OK) != 0 || ::access("/usr/bin/bwrap", X_OK) != 0) {
    std::cout << "market_bench: SKIPPED (needs root, /usr/sbin/sshd and /usr/bin/bwrap)\n";
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  // A thousand sessions are a thousand sockets here and at the hub (which inherits this).
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  ssh_latency(bin, jobs);
  heartbeat_load(bin, sessions, secs);
  return 0;
}
