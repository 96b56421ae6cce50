#include "apps/seller_command.hpp"

#include <caf/all.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "actors/seller_agent.hpp"
#include "apps/logging.hpp"
#include "apps/node_settings.hpp"
#include "client/hub_link.hpp"
#include "client/seller_relay.hpp"
#include "client/offer_builder.hpp"
#include "messages/type_ids.hpp"
#include "sandbox/isolation.hpp"
#include "sandbox/job_sshd.hpp"

namespace hearth::app {
namespace {

namespace fs = std::filesystem;

struct seller_args {
  std::string hub, data_dir = "hearth-seller", name, key, ssh_listen = "127.0.0.1:0", ssh_host, images, price = "0";
  std::string memory = "4g";
  unsigned jobs = 10;
  double cpus = 0;
  std::uint64_t max_duration_secs = 86400;
};

int refuse(const std::string& message, const char* code) {
  std::cerr << "hearth seller: " << message << " [" << code << "]\n";
  return 1;
}

result<crypto::private_key> seller_key(const seller_args& a) {
  if (!a.key.empty()) return crypto::private_key::load(a.key);
  std::string path = (fs::path(a.data_dir) / "seller.key").string();
  if (fs::exists(path)) return crypto::private_key::load_file(path);
  auto key = crypto::private_key::generate();
  if (!key) return key.error();
  if (auto saved = key->save_new(path); !saved) return saved.error();
  std::cerr << "generated the seller key " << path << " (address " << key->to_address().checksummed() << ")\n";
  return key;
}

int run_seller(const seller_args& a) {
  if (auto ok = sandbox::job_sshd_available(); !ok) return refuse(ok.error().message, "isolation_unavailable");
  std::error_code ec;
  fs::create_directories(a.data_dir, ec);
  if (ec) return refuse("cannot create " + a.data_dir + ": " + ec.message(), "data_dir_unusable");
  auto key = seller_key(a);
  if (!key) return refuse(key.error().message, "bad_key");

  actors::seller_config config;
  config.hub_url = a.hub;
  config.name = a.name.empty() ? "seller" : a.name;
  if (a.name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0]) config.name = host;
  }
  config.key = std::make_shared<crypto::private_key>(*key);
  config.capacity.jobs = a.jobs;
  config.capacity.cpus = a.cpus > 0 ? a.cpus : std::max(1u, std::thread::hardware_concurrency());
  std::uint64_t mem_mb = 0;
  {
    std::string m = a.memory;
    char unit = m.empty() ? 'm' : static_cast<char>(std::tolower(static_cast<unsigned char>(m.back())));
    if (unit == 'g' || unit == 'm') m.pop_back();
    if (m.empty() || m.find_first_not_of("0123456789") != std::string::npos)
      return refuse("--memory is like 4g or 512m", "bad_option");
    mem_mb = std::stoull(m) * (unit == 'g' ? 1024 : 1);
  }
  config.capacity.mem_mb = mem_mb;
  config.max_duration_secs = a.max_duration_secs;
  if (!client::parse_usdc(a.price, config.price_per_hour))
    return refuse("--price-per-hour is a USDC amount with at most 6 decimals", "bad_price");
  auto colon = a.ssh_listen.rfind(':');
  if (colon == std::string::npos) return refuse("--ssh-listen is ADDR:PORT", "bad_listen_address");
  config.host.base_dir = (fs::path(a.data_dir) / "jobs").string();
  config.host.listen_address = a.ssh_listen.substr(0, colon);
  try {
    config.host.first_port = static_cast<std::uint16_t>(std::stoul(a.ssh_listen.substr(colon + 1)));
  } catch (const std::exception&) {
    return refuse("--ssh-listen is ADDR:PORT", "bad_listen_address");
  }
  config.host.public_host = a.ssh_host;
  config.host.images["host"] = "";
  for (const auto& item : split_list(a.images)) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return refuse("--images is NAME=DIR,...", "bad_option");
    std::string dir = item.substr(eq + 1);
    if (::access((dir + "/bin/sh").c_str(), X_OK) != 0 || ::access((dir + "/usr/sbin/sshd").c_str(), X_OK) != 0)
      return refuse("image " + item.substr(0, eq) + ": " + dir + " has no /bin/sh and /usr/sbin/sshd", "bad_rootfs");
    config.host.images[item.substr(0, eq)] = fs::absolute(dir).string();
  }
  auto outbox = std::make_shared<actors::seller_outbox>();
  config.outbox = outbox;
  config.jobs = std::make_shared<actors::job_host>(config.host);

  seller_hello hello;
  hello.name = config.name;
  hello.ssh_host = config.host.public_host.empty() ? config.host.listen_address : config.host.public_host;
  for (const auto& [name, dir] : config.host.images) hello.images.push_back(name);
  hello.price_per_hour = config.price_per_hour;
  hello.max_duration_secs = config.max_duration_secs;
  hello.capacity = config.capacity;

  // SIGINT/SIGTERM end the seller: blocked here, so every thread inherits the mask and sigwait takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", std::size_t{2});
  register_message_types(cfg);
  caf::actor_system sys{cfg};
  auto agent = actors::spawn_seller_agent(sys, config);
  client::hub_link::events on;
  on.up = [agent](const std::string& id, std::uint64_t heartbeat_ms) {
    caf::anon_send(agent, welcome_atom::value, id, heartbeat_ms);
  };
  // The hub's relay: streams to the jobs' doors on this machine.
  std::shared_ptr<client::hub_link> link_ptr;
  std::mutex link_mu;
  auto via_link = [&](auto f) {
    std::shared_ptr<client::hub_link> l;
    {
      std::lock_guard lock(link_mu);
      l = link_ptr;
    }
    return l && f(*l);  // outside the lock: a send may wait for the hub
  };
  auto relay = std::make_shared<client::seller_relay>(client::seller_relay::hooks{
      [jobs = config.jobs, address = config.host.listen_address](const std::string& job) {
        std::uint16_t port = jobs->door_port(job);
        return port ? client::connect_tcp(address, port) : -1;
      },
      [&](std::uint32_t stream, std::string_view bytes) {
        return via_link([&](client::hub_link& l) { return l.send_bytes(stream, bytes); });
      },
      [&](std::uint32_t stream) {
        return via_link([&](client::hub_link& l) { return l.send(protocols::seller_message{protocols::wire_close{stream}}); });
      }});
  on.down = [agent, relay](const std::string& why) {
    relay->close_all();
    caf::anon_send(agent, closed_atom::value, why);
  };
  on.bytes = [relay](std::uint32_t stream, std::string bytes) { relay->bytes(stream, bytes); };
  on.message = [agent, relay](protocols::hub_message m) {
    std::visit(
        [&](auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, job_assignment>) caf::anon_send(agent, std::move(x));
          else if constexpr (std::is_same_v<T, protocols::wire_cancel>)
            caf::anon_send(agent, cancel_atom::value, x.job_id, x.reason);
          else if constexpr (std::is_same_v<T, protocols::wire_extend>)
            caf::anon_send(agent, extend_atom::value, x.job_id, x.expires_at_ms);
          else if constexpr (std::is_same_v<T, protocols::wire_open>)
            relay->open(x.stream, x.job_id);
          else if constexpr (std::is_same_v<T, protocols::wire_close>)
            relay->close(x.stream);
        },
        m);
  };
  std::cerr << "seller " << config.name << " (" << key->to_address().checksummed() << ") for " << a.hub << "\n";
  {
    auto link = std::make_shared<client::hub_link>(a.hub, *key, hello, on);
    {
      std::lock_guard lock(outbox->mu);
      outbox->send = [link](const protocols::seller_message& m) { return link->send(m); };
    }
    {
      std::lock_guard lock(link_mu);
      link_ptr = link;
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("seller stopping (signal {}): its jobs end", sig);
    {
      std::lock_guard lock(outbox->mu);
      outbox->send = nullptr;
    }
    relay->close_all();
    std::lock_guard lock(link_mu);
    link_ptr.reset();
  }
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  return 0;
}

}  // namespace

void add_seller_command(CLI::App& app, int& exit_code, std::function<void()> logging) {
  auto a = std::make_shared<seller_args>();
  auto* cmd = app.add_subcommand("seller", "Offer this machine's compute to a marketplace hub (runs until stopped)");
  cmd->add_option("--hub", a->hub, "The hub's base URL, e.g. http://127.0.0.1:3000")->required();
  cmd->add_option("--data-dir", a->data_dir, "The seller's own directory (its key, its jobs' homes)")->capture_default_str();
  cmd->add_option("--id", a->name, "Display name (its id is ADDRESS/NAME); default: the host name");
  cmd->add_option("--key", a->key, "The seller's secp256k1 key: 0xHEX or @file; default: DATA_DIR/seller.key, generated");
  cmd->add_option("--ssh-listen", a->ssh_listen, "Where jobs' sshd doors listen: ADDR:PORT (PORT 0: any free port per job, "
                                                 "else ports from PORT up)")->capture_default_str();
  cmd->add_option("--ssh-host", a->ssh_host, "The address buyers connect to (default: the --ssh-listen address)");
  cmd->add_option("--images", a->images, "Images besides host: NAME=ROOTFS_DIR,... (scripts/make-rootfs.sh DIR openssh-server)");
  cmd->add_option("--price-per-hour", a->price, "USDC per hour of one job (0: free)")->capture_default_str();
  cmd->add_option("--jobs", a->jobs, "Jobs at once")->capture_default_str()->check(CLI::Range(1u, 10000u));
  cmd->add_option("--cpus", a->cpus, "CPU cores jobs may take in all (default: this host's)");
  cmd->add_option("--memory", a->memory, "Memory jobs may take in all, like 4g")->capture_default_str();
  cmd->add_option("--max-duration", a->max_duration_secs, "Longest job, seconds")->capture_default_str();
  cmd->callback([a, &exit_code, logging] {
    logging();
    exit_code = run_seller(*a);
  });
}

}  // namespace hearth::app
