#include "apps/serve.hpp"

#include <caf/all.hpp>

#include "messages/clock.hpp"
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>

#include <fcntl.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <caf/io/middleman.hpp>
#include <caf/openssl/all.hpp>

#include "actors/call_actor.hpp"
#include "actors/cluster_member.hpp"
#include "actors/node_actor.hpp"
#include "actors/offer_registry.hpp"
#include "actors/couch_registry.hpp"
#include "actors/environment_host.hpp"
#include "actors/job_registry.hpp"
#include "actors/seller_directory.hpp"
#include "actors/seller_session.hpp"
#include "actors/payment_registry.hpp"
#include "actors/metrics_registry.hpp"
#include "actors/pool_ledger.hpp"
#include "actors/private_inputs.hpp"
#include "apps/couch_clock.hpp"
#include "actors/chain_settler.hpp"
#include "client/facilitator_client.hpp"
#include "client/http_client.hpp"
#include "client/json_rpc_client.hpp"
#include "net/server_tls.hpp"
#include "apps/node_settings.hpp"
#include "messages/couch.hpp"
#include "messages/payment.hpp"
#include "payments/networks.hpp"
#include "actors/task_registry.hpp"
#include "storage/task_codec.hpp"
#include "actors/root_supervisor.hpp"
#include "crypto/random.hpp"
#include "crypto/secp256k1_key.hpp"
#include "messages/node.hpp"
#include "messages/type_ids.hpp"
#include "messages/offer.hpp"
#include "messages/task.hpp"
#include "net/http_edge.hpp"
#include "net/http_server.hpp"
#include "net/rate_limiter.hpp"
#include "sandbox/elf_arch.hpp"
#include "sandbox/isolation.hpp"
#include "net/task_routes.hpp"
#include "storage/blob_store.hpp"
#include "storage/store.hpp"

namespace hearth::app {
namespace {

// A typed actor as the supervisor's child (it links and monitors any handle).
template <class Handle>
result<caf::actor> as_child(result<Handle> spawned) {
  if (!spawned) return spawned.error();
  return caf::actor_cast<caf::actor>(*spawned);
}

namespace fs = std::filesystem;

result<void> prepare_data_dir(const std::string& dir) {
  std::error_code ec;
  bool created = fs::create_directories(dir, ec);
  if (ec) return fail(storage_errc::data_dir_unwritable, dir + ": " + ec.message());
  if (created) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return {};
}

// The node's own key: created on first start (0600), loaded afterwards.
result<crypto::private_key> node_key(const std::string& dir) {
  std::string path = (fs::path(dir) / "node.key").string();
  if (fs::exists(path)) return crypto::private_key::load_file(path);
  auto key = crypto::private_key::generate();
  if (!key) return key;
  if (auto saved = key->save_new(path); !saved) return saved.error();
  spdlog::info("generated node key path={} address={}", path, key->to_address().checksummed());
  return key;
}

// The couch host token: from the config, else DATA_DIR/couch-host.token,
// generated (256 random bits, 0600) at first start. Only its hash is kept.
result<std::string> couch_host_token_hash(const node_config& config) {
  if (!config.couch_host_token.empty()) return actors::secret_hash(config.couch_host_token);
  std::string path = (fs::path(config.data_dir) / "couch-host.token").string();
  std::string token;
  if (std::ifstream in(path); in) {
    std::getline(in, token);
  } else {
    auto hex = crypto::random_hex(32);
    if (!hex) return hex.error();
    token = "host_" + *hex;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return fail(storage_errc::data_dir_unwritable, "cannot create " + path + ": " + std::strerror(errno));
    std::string line = token + "\n";
    bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!written) return fail(storage_errc::data_dir_unwritable, "cannot write " + path);
    spdlog::info("generated the couch host token path={}", path);
  }
  if (token.empty()) return fail(config_errc::bad_host_token, path + " is empty");
  return actors::secret_hash(token);
}

int fatal(const failure& f) {
  spdlog::error("cannot start: {} [{}]", f.message, code_name(f.code));
  return 2;
}

// Blocks the signals in every thread (so CAF's and asio's threads inherit the
// mask) and returns a descriptor that reads them.
int block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);  // reload the TLS identity
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

// Wakes the main thread through an eventfd when the supervision tree stops.
caf::behavior watch_tree(caf::event_based_actor* self, root_supervisor_type root, int down_fd,
                         std::shared_ptr<std::string> down_reason) {
  self->monitor(root);
  self->set_down_handler([=](caf::down_msg& dm) {
    *down_reason = self->system().render(dm.reason);
    std::uint64_t one = 1;
    if (::write(down_fd, &one, sizeof one) != sizeof one) spdlog::error("eventfd write failed");
    self->quit();
  });
  return {[](stop_atom) {}};
}

}  // namespace

// --cluster-name, else the node's address.
std::string cluster_name(const node_config& config, const std::string& node_address) {
  return config.cluster_name.empty() ? node_address : config.cluster_name;
}

// The cluster member, published on --cluster-listen over TLS (peers
// must present a certificate of --cluster-ca) and joined through --join.
result<cluster_member_type> start_cluster(caf::actor_system& sys, const node_config& config, const std::string& url,
                                          const net::node_info& info) {
  auto listen = net::parse_listen_address(config.cluster_listen);
  if (!listen) return listen.error();
  actors::cluster_config cc;
  cc.name = cluster_name(config, info.node_address);
  cc.http_url = config.cluster_http_url.empty() ? url : config.cluster_http_url;
  cc.join = split_list(config.cluster_join);
  cc.heartbeat = std::chrono::milliseconds(config.cluster_heartbeat_ms);
  cc.cpu_units = info.cpu_units;
  cc.run_slots = config.max_running_tasks;
  cc.cores = std::thread::hardware_concurrency();
  cc.memory_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  cc.connect = [&sys](const std::string& host, std::uint16_t port) -> result<cluster_member_type> {
    auto remote = caf::openssl::remote_actor<cluster_member_type>(sys, host, port);
    if (!remote) return fail(http_errc::node_unavailable, sys.render(remote.error()));
    return *remote;
  };
  auto member = actors::spawn_cluster_member(sys, cc);
  auto port = caf::openssl::publish(member, listen->second, listen->first.c_str(), true);
  if (!port) {
    caf::anon_send_exit(member, caf::exit_reason::user_shutdown);
    return fail(http_errc::listen_failed, "--cluster-listen " + config.cluster_listen + ": " + sys.render(port.error()));
  }
  sys.registry().put(actors::cluster_member_key, caf::actor_cast<caf::strong_actor_ptr>(member));
  std::string address = listen->first + ":" + std::to_string(*port);
  caf::anon_send(member, caf::publish_atom::value, address);
  spdlog::info("cluster listening address={} name={} joining={}", address, cc.name, config.cluster_join);
  return member;
}

int run_serve(const node_config& given) {
  int sig_fd = block_signals();
  if (sig_fd < 0) return fatal(fail(config_errc::signalfd_failed, std::strerror(errno)));
  auto settings = parse_settings(given);
  if (!settings) return fatal(settings.error());
  const node_config& config = settings->config;

  if (auto ok = prepare_data_dir(config.data_dir); !ok) return fatal(ok.error());
  auto key = node_key(config.data_dir);
  if (!key) return fatal(key.error());
  crypto::address node_address = key->to_address();
  crypto::address owner = settings->owner.value_or(node_address);

  actors::offer_registry_config offers;
  offers.policy.accepted_owners.push_back(owner);
  offers.policy.accepted_owners.insert(offers.policy.accepted_owners.end(), settings->accept_offers_from.begin(),
                                       settings->accept_offers_from.end());
  std::uint32_t cpu_units = config.cpu_units ? config.cpu_units
                                             : static_cast<std::uint32_t>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)) * 1000);
  offers.policy.max_limits = {config.offer_max_ram_mb, config.offer_max_cpu_secs, config.offer_max_wall_secs,
                              config.offer_allow_network, 1ull << 30, {}, {}, cpu_units};
  offers.policy.payment_networks = settings->payment_networks;
  auto sealing = crypto::derive_sealing_key(*key, actors::private_inputs_label);
  if (!sealing) return fatal(sealing.error());
  offers.sealing = std::make_shared<const crypto::sealing_key>(*sealing);
  // Offers' https executables: certificate and name checked (the system's store or --fetch-cacert), size-bounded.
  offers.fetch = [ca = config.fetch_cacert](const std::string& url, std::uint64_t max_bytes) -> result<std::string> {
    client::client_request req;
    req.url = url;
    req.timeout = std::chrono::seconds(120);
    req.max_response_bytes = max_bytes;
    req.tls = client::tls_settings{ca, false};
    auto res = client::send_request(req);
    if (!res) return res.error();
    if (res->status != 200) return fail(client_errc::http_error, "the server answered " + std::to_string(res->status));
    return std::move(res->body);
  };
  storage::blob_store executables((fs::path(config.data_dir) / "executables").string());

  actors::task_registry_config tasks{*key, owner, config.max_running_tasks, 256,
                                     std::chrono::hours(config.task_retention_hours), config.warm_sandboxes,
                                     storage::task_output_dir(config.data_dir), cpu_units};

  const auto& networks = settings->payment_networks;
  actors::job_registry_config jobs;
  jobs.terms = {networks, config.payment_timeout_secs};
  actors::call_settings calls{{networks, config.payment_timeout_secs}, owner.checksummed(),
                              storage::task_output_dir(config.data_dir)};
  actors::payment_settings payment_settings;
  payment_settings.backend = settings->settlement;
  if (settings->settlement == actors::settlement_backend::facilitator)
    payment_settings.facilitator =
        client::make_facilitator_call(config.facilitator_url, std::chrono::seconds(config.facilitator_timeout_secs));
  payment_settings.facilitator_pay_to =
      settings->facilitator_pay_to.empty() ? std::vector<crypto::address>{owner} : settings->facilitator_pay_to;

  payment_settings.settle_wait = std::chrono::milliseconds(config.settle_wait_ms);
  payment_settings.settle_batch = std::chrono::seconds(config.settle_batch_secs);
  std::optional<crypto::private_key> settlement_key;
  if (settings->settlement == actors::settlement_backend::chain) {
    auto k = config.settlement_key.empty() ? result<crypto::private_key>(*key) : crypto::private_key::load(config.settlement_key);
    if (!k) return fatal(fail(k.error().code, "--settlement-key: " + k.error().message));
    settlement_key = *k;
  }

  if (auto waived = sandbox::waive_isolation_steps(config.sandbox_allow_weaker); !waived)
    return fatal(fail(waived.error().code, "--sandbox-allow-weaker: " + waived.error().message));
  auto isolation = sandbox::probe_host_isolation();
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s.empty() ? std::string("none") : s;
  };
  spdlog::info("sandbox isolation enforced={} waived={}", joined(isolation.enforced),
               joined(sandbox::waived_isolation_steps()));
  if (!isolation.missing.empty())
    spdlog::warn("sandbox isolation missing={}: runs and guests that need a missing step refuse to start unless it "
                 "is waived (--sandbox-allow-weaker)", joined(isolation.missing));

  std::shared_ptr<net::server_tls> tls;
  if (!config.tls_cert.empty() || !config.tls_key.empty()) {
    if (config.tls_cert.empty() || config.tls_key.empty())
      return fatal(fail(http_errc::tls_identity_unusable, "--tls-cert and --tls-key go together"));
    auto loaded = net::server_tls::load(config.tls_cert, config.tls_key);
    if (!loaded) return fatal(loaded.error());
    tls = *loaded;
  }

  auto host_token_hash = couch_host_token_hash(config);
  if (!host_token_hash) return fatal(host_token_hash.error());
  actors::couch_config couch;
  couch.now = couch_clock();
  couch.environments = settings->couch_local;
  if (!config.cluster_listen.empty()) couch.node_name = jobs.node_name = cluster_name(config, node_address.checksummed());

  storage::options db_options;
  db_options.path = (fs::path(config.data_dir) / "db").string();
  auto db = storage::store::open(db_options);
  if (!db) return fatal(db.error());

  // Request bodies spooled by a previous run are of requests long gone.
  fs::path spool_dir = fs::path(config.data_dir) / "spool";
  std::error_code spool_ec;
  fs::remove_all(spool_dir, spool_ec);
  fs::create_directories(spool_dir, spool_ec);
  if (spool_ec) return fatal(fail(storage_errc::data_dir_unusable, "cannot create " + spool_dir.string() + ": " + spool_ec.message()));

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(config.actor_threads));
  // One shared queue that idle workers wait on, instead of work stealing's
  // polling (its workers sleep and wake every 50 us while idle): under CGI
  // load that polling cost the node ~20% of its own CPU per request.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  register_message_types(cfg);
  bool clustered = !config.cluster_listen.empty();
  if (clustered) {
    // Mutual TLS or nothing: without all three CAF's OpenSSL module falls back to anonymous ciphers.
    if (config.cluster_cert.empty() || config.cluster_key.empty() || config.cluster_ca.empty())
      return fatal(fail(config_errc::bad_option, "--cluster-listen needs --cluster-cert, --cluster-key and --cluster-ca"));
    for (const auto* f : {&config.cluster_cert, &config.cluster_key, &config.cluster_ca})
      if (::access(f->c_str(), R_OK) != 0) return fatal(fail(config_errc::bad_option, "cannot read " + *f));
    auto listen = net::parse_listen_address(config.cluster_listen);
    if (!listen) return fatal(listen.error());
    if (listen->first == "0.0.0.0" || listen->first == "::" || listen->first.empty())
      return fatal(fail(config_errc::bad_option, "--cluster-listen takes the address of a private interface, not a "
                                                 "wildcard: its peers can message this node's actors"));
    for (const auto& j : split_list(config.cluster_join))
      if (auto ok = net::parse_listen_address(j); !ok) return fatal(fail(config_errc::bad_option, "--join: " + ok.error().message));
    cfg.load<caf::io::middleman>();
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = config.cluster_cert;
    cfg.openssl_key = config.cluster_key;
    cfg.openssl_cafile = config.cluster_ca;
    auto beat = std::chrono::milliseconds(config.cluster_heartbeat_ms);
    cfg.set("middleman.heartbeat-interval", caf::timespan(beat));
    cfg.set("middleman.connection-timeout", caf::timespan(3 * beat));
    // BASP differs between builds: only nodes of the same hearth build connect.
    cfg.set("middleman.app-identifiers", std::vector<std::string>{std::string("hearth/") + HEARTH_VERSION});
  }
  int exit_code = 0;
  int down_fd = eventfd(0, EFD_CLOEXEC);  // closed only after every actor is gone
  {
    caf::actor_system sys{cfg};
    std::int64_t boot_ms = unix_ms();
    net::node_info info{HEARTH_VERSION, node_address.checksummed(), owner.checksummed(), config.data_dir};
    info.payment_networks = networks;
    info.payment_max_timeout_secs = config.payment_timeout_secs;
    info.couch_host_token_hash = *host_token_hash;
    info.isolation = isolation.enforced;
    info.isolation_missing = isolation.missing;
    info.isolation_waived = sandbox::waived_isolation_steps();
    info.settlement = config.settlement;
    info.settle_batch_secs = config.settle_batch_secs;
    info.arch = sandbox::host_arch();
    info.cpu_units = cpu_units;
    info.run_slots = config.max_running_tasks;
    info.tls = static_cast<bool>(tls);
    // One settler per network: the only sender of its key's transactions.
    // Its handles live in this scope only: one held past the actor system
    // would keep it waiting for the settler's thread forever.
    actors::payment_settings payments_here = payment_settings;
    for (const auto& [net, url] : settings->chain_rpc) {
      auto settler = actors::spawn_chain_settler(
          sys, **db, {net, *settlement_key, client::make_json_rpc_call(url, std::chrono::seconds(config.facilitator_timeout_secs))});
      payments_here.settlers[net->caip2] = settler;
      info.chain_settlers.push_back(settler);
      auto where = client::parse_url(url);  // the host only: an RPC URL often holds an API key
      spdlog::info("settlement on chain network={} sender={} rpc_host={}", net->caip2,
                   settlement_key->to_address().checksummed(), where ? where->host : std::string("?"));
    }
    info.facilitator_limit = std::make_shared<net::rate_limiter>(config.facilitator_rate, 2 * config.facilitator_rate);
    if (settings->market_hub) {
      auto market = std::make_shared<actors::market_config>();
      market->accepted_sellers.insert(settings->market_sellers.begin(), settings->market_sellers.end());
      market->heartbeat = std::chrono::milliseconds(config.market_heartbeat_ms);
      // A socket that has not said hello in 5 heartbeats (10 s by default) is a stranger holding a connection.
      market->hello_timeout = std::max(std::chrono::milliseconds(2000), 5 * market->heartbeat);
      info.market = std::move(market);
    }
    info.market_open_submit = config.market_submit == "anyone";
    info.submit_limit = std::make_shared<net::rate_limiter>(config.market_submit_rate, 30 * config.market_submit_rate);
    net::http_edge_config edge{config.listen, config.http, config.http_threads, tls};
    edge.limits.spool_dir = spool_dir.string();
    edge.limits.spooled_route = net::is_cgi_path;

    std::vector<actors::child_spec> children{
        {"node", actors::node_actor_key,
         [&db, boot_ms](caf::actor_system& s) { return actors::spawn_node_actor(s, **db, boot_ms, HEARTH_VERSION); }},
        {"metrics", actors::metrics_registry_key,
         [&db](caf::actor_system& s) {
           return as_child(result<metrics_registry_type>(actors::spawn_metrics_registry(s, db->get())));
         }},
        {"offers", actors::offer_registry_key,
         [&db, &executables, offers](caf::actor_system& s) { return as_child(actors::spawn_offer_registry(s, **db, executables, offers)); }},
        {"tasks", actors::task_registry_key,
         [&db, &executables, tasks](caf::actor_system& s) { return as_child(actors::spawn_task_registry(s, **db, executables, tasks)); }},
        {"calls", actors::call_service_key,
         [calls](caf::actor_system& s) { return as_child(result<call_service_type>(actors::spawn_call_service(s, calls))); }},
        {"payments", actors::payment_registry_key,
         [&db, payments_here](caf::actor_system& s) { return as_child(actors::spawn_payment_registry(s, **db, payments_here)); }},
        {"couch", actors::couch_registry_key,
         [&db, couch](caf::actor_system& s) { return as_child(actors::spawn_couch_registry(s, **db, couch)); }},
        {"sellers", actors::seller_directory_key,
         [](caf::actor_system& s) { return as_child(result<seller_directory_type>(actors::spawn_seller_directory(s))); }},
        {"jobs", actors::job_registry_key,
         [&db, jobs](caf::actor_system& s) { return as_child(actors::spawn_job_registry(s, **db, jobs)); }},
        {"pools", actors::pool_ledger_key,
         [pools = settings->pools](caf::actor_system& s) {
           return as_child(result<pool_ledger_type>(actors::spawn_pool_ledger(s, pools)));
         }},
        {"http", net::http_edge_key, [edge, info](caf::actor_system& s) { return as_child(net::spawn_http_edge(s, edge, info)); }},
    };
    if (settings->couch_local) {  // before the couch, whose guests use it
      auto backend = actors::make_local_backend((fs::path(config.data_dir) / "guests").string(), config.couch_rootfs);
      auto couch_at = std::find_if(children.begin(), children.end(), [](const auto& c) { return c.name == "couch"; });
      children.insert(couch_at, {"envs", actors::environment_host_key,
                                 [backend, capacity = settings->couch_capacity_mb](caf::actor_system& s) {
                                   return as_child(result<environment_host_type>(
                                       actors::spawn_environment_host(s, backend, capacity)));
                                 }});
    }
    auto root = actors::spawn_root_supervisor(sys, std::move(children));
    if (!root) {
      for (const auto& settler : info.chain_settlers) caf::anon_send_exit(settler, caf::exit_reason::user_shutdown);
      return fatal(root.error());
    }

    auto down_reason = std::make_shared<std::string>();
    sys.spawn(watch_tree, *root, down_fd, down_reason);

    caf::scoped_actor self{sys};
    std::string url;
    self->request(caf::actor_cast<http_edge_type>(sys.registry().get(net::http_edge_key)), std::chrono::seconds(5),
                  get_atom::value)
        .receive([&](std::string& u) { url = u; }, [&](caf::error& e) { spdlog::error("edge: {}", to_string(e)); });
    std::optional<cluster_member_type> cluster;
    if (clustered) {
      auto joined = start_cluster(sys, config, url, info);
      if (!joined) {
        caf::anon_send_exit(*root, caf::exit_reason::user_shutdown);
        return fatal(joined.error());
      }
      cluster = *joined;
    }
    spdlog::info("hearth serving url={} data_dir={} node={} owner={}", url, config.data_dir, info.node_address,
                 info.owner);

    pollfd fds[2] = {{sig_fd, POLLIN, 0}, {down_fd, POLLIN, 0}};
    signalfd_siginfo si{};
    for (;;) {
      while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
      }
      if (!(fds[0].revents & POLLIN)) break;
      (void)::read(sig_fd, &si, sizeof si);
      if (si.ssi_signo != SIGHUP) break;
      if (!tls) {
        spdlog::info("SIGHUP: nothing to reload (no --tls-cert)");
      } else if (auto ok = tls->reload(); ok) {
        spdlog::info("tls identity reloaded cert={}", config.tls_cert);
      } else {
        spdlog::error("tls identity not reloaded, the previous one stays: {}", ok.error().message);
      }
    }
    if (fds[0].revents & POLLIN) {
      spdlog::info("shutdown signal={}; draining requests in flight", strsignal(static_cast<int>(si.ssi_signo)));
      auto edge_actor = caf::actor_cast<http_edge_type>(sys.registry().get(net::http_edge_key));
      auto drain_bound = config.http.drain_timeout + std::chrono::seconds(5);
      if (edge_actor)
        self->request(edge_actor, drain_bound, drain_atom::value).receive([](bool) {}, [](caf::error& e) {
          spdlog::warn("http drain did not complete: {}", to_string(e));
        });
      self->request(*root, std::chrono::seconds(30), stop_atom::value).receive([](bool) {}, [](caf::error& e) {
        spdlog::warn("supervisor stop did not complete: {}", to_string(e));
      });
    } else {
      spdlog::error("supervision tree stopped: {}; shutting down", *down_reason);
      exit_code = 1;
    }
    self->send_exit(*root, caf::exit_reason::user_shutdown);
    for (const auto& settler : info.chain_settlers) self->send_exit(settler, caf::exit_reason::user_shutdown);
    if (cluster) {
      sys.registry().erase(actors::cluster_member_key);
      self->send_exit(*cluster, caf::exit_reason::user_shutdown);
    }
  }  // the actor system waits for every actor here

  if (auto flushed = (*db)->flush(); !flushed) {
    spdlog::error("storage flush failed: {}", flushed.error().message);
    exit_code = exit_code ? exit_code : 1;
  }
  db->reset();
  ::close(down_fd);
  ::close(sig_fd);
  spdlog::info("hearth stopped{}", exit_code == 0 ? " cleanly" : "");
  return exit_code;
}

}  // namespace hearth::app
