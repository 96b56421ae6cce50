#include "apps/node_config.hpp"

#include <nlohmann/json.hpp>

namespace hearth::app {
namespace {

struct millis_option {
  const char* name;
  const char* env;
  const char* help;
  std::chrono::milliseconds net::http_limits::*field;
};

std::vector<const CLI::Option*> node_options(const CLI::App& app) {
  return app.get_options([](const CLI::Option* o) { return o->get_group() == node_group; });
}

bool is_text(const CLI::Option* o) { return o->get_type_name().find("TEXT") != std::string::npos; }
bool is_bool(const CLI::Option* o) { return o->get_type_name().find("BOOL") != std::string::npos; }

std::string key_of(const CLI::Option* o) { return o->get_lnames().front(); }

std::string value_of(const CLI::Option* o, bool effective) {
  if (effective && o->count() > 0 && !o->results().empty()) return o->results().back();
  return o->get_default_str();
}

}  // namespace

void add_node_options(CLI::App& app, node_config& c) {
  auto add = [&](const std::string& flag, auto& field, const std::string& env, const std::string& help) {
    return app.add_option(flag, field, help)
        ->envname(env)
        ->group(node_group)
        ->capture_default_str()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  add("--listen", c.listen, "HEARTH_LISTEN", "HTTP listen address, host:port (port 0 picks a free one)");
  add("--data-dir", c.data_dir, "HEARTH_DATA_DIR", "Directory of the embedded RocksDB and the node key");
  add("--owner", c.owner, "HEARTH_OWNER", "Owner address (0x...); default: the node's own key's address");
  add("--log-level", c.log_level, "HEARTH_LOG_LEVEL", "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  add("--accept-offers-from", c.accept_offers_from, "HEARTH_ACCEPT_OFFERS_FROM",
      "Addresses (comma-separated) whose offers the node accepts besides its owner's");
  add("--offer-max-ram-mb", c.offer_max_ram_mb, "HEARTH_OFFER_MAX_RAM_MB", "Largest RAM limit an offer may ask for, MB");
  add("--offer-max-cpu-secs", c.offer_max_cpu_secs, "HEARTH_OFFER_MAX_CPU_SECS", "Largest CPU limit an offer may ask for, s");
  add("--offer-max-wall-secs", c.offer_max_wall_secs, "HEARTH_OFFER_MAX_WALL_SECS",
      "Largest wall-clock limit an offer may ask for, s");
  add("--offer-allow-network", c.offer_allow_network, "HEARTH_OFFER_ALLOW_NETWORK",
      "Whether offers may ask for network access (true/false)");
  add("--max-running-tasks", c.max_running_tasks, "HEARTH_MAX_RUNNING_TASKS", "Sandboxed tasks running at once")
      ->check(CLI::Range(1u, 1024u));
  add("--cpu-units", c.cpu_units, "HEARTH_CPU_UNITS",
      "CPU the runs may reserve at once, in thousandths of a core (an offer's --cpu-units per run; "
      "a run that does not fit waits); default: 1000 per online core")
      ->check(CLI::Range(0u, 100000000u));
  add("--pool", c.pools, "HEARTH_POOLS",
      "Free-tier pools, comma-separated: NAME=N (runs at once) or NAME=N/PERIOD (calls per period, e.g. "
      "free=100/1h); an offer with --pool NAME is free while its pool has room");
  add("--fetch-cacert", c.fetch_cacert, "HEARTH_FETCH_CACERT",
      "PEM bundle to trust when fetching offers' https executables (default: the system's store)");
  add("--task-retention-hours", c.task_retention_hours, "HEARTH_TASK_RETENTION_HOURS",
      "Finished task records (and their outputs) are deleted after this many hours")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{24 * 365 * 100}));
  add("--warm-sandboxes", c.warm_sandboxes, "HEARTH_WARM_SANDBOXES",
      "Keep a warm sandbox per executable (namespaces and root built once, a fresh process per run) (true/false)");
  add("--payment-networks", c.payment_networks, "HEARTH_PAYMENT_NETWORKS",
      "Networks priced offers are paid on (x402, USDC), comma-separated: base, base-sepolia, ethereum");
  add("--payment-timeout-secs", c.payment_timeout_secs, "HEARTH_PAYMENT_TIMEOUT_SECS",
      "How long a payment authorization may stay valid (maxTimeoutSeconds), s")
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{86400}));
  add("--settlement", c.settlement, "HEARTH_SETTLEMENT",
      "Where payments settle: ledger (the node's own RocksDB ledger), facilitator (an x402 facilitator over HTTP) "
      "or chain (the node sends transferWithAuthorization itself, --chain-rpc)")
      ->check(CLI::IsMember({"ledger", "facilitator", "chain"}));
  add("--tls-cert", c.tls_cert, "HEARTH_TLS_CERT",
      "PEM certificate chain: the node listens with TLS (HTTPS, wss) on --listen; reloaded on SIGHUP");
  add("--tls-key", c.tls_key, "HEARTH_TLS_KEY", "PEM private key of --tls-cert");
  add("--chain-rpc", c.chain_rpc, "HEARTH_CHAIN_RPC",
      "JSON-RPC endpoints per payment network for --settlement chain: base-sepolia=URL,base=URL (http or https)");
  add("--settlement-key", c.settlement_key, "HEARTH_SETTLEMENT_KEY",
      "Key that signs and pays gas for settlement transactions: @FILE or 0xHEX; unset: the node key");
  add("--settle-wait-ms", c.settle_wait_ms, "HEARTH_SETTLE_WAIT_MS",
      "How long a paid call waits for its settlement receipt before answering settle_pending with the transaction");
  add("--settle-batch-secs", c.settle_batch_secs, "HEARTH_SETTLE_BATCH_SECS",
      "With --settlement chain: paid calls answer without waiting for the chain, and their payments are settled in "
      "one pass every this many seconds (one transaction per payment, as EIP-3009 requires); 0: each at once")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{86400}));
  add("--facilitator-url", c.facilitator_url, "HEARTH_FACILITATOR_URL",
      "The x402 facilitator's base URL (its /verify and /settle), with --settlement facilitator");
  add("--facilitator-timeout-secs", c.facilitator_timeout_secs, "HEARTH_FACILITATOR_TIMEOUT_SECS",
      "Deadline of one facilitator request, s (a settle without answer stays pending and is retried)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{600}));
  add("--facilitator-pay-to", c.facilitator_pay_to, "HEARTH_FACILITATOR_PAY_TO",
      "Addresses (comma-separated) the node's own /facilitator settles payments to; unset: the owner only");
  add("--facilitator-rate", c.facilitator_rate, "HEARTH_FACILITATOR_RATE",
      "Requests per second (burst: twice that) one client address may make to /facilitator/verify and /settle")
      ->check(CLI::Range(0.1, 100000.0));
  add("--sandbox-allow-weaker", c.sandbox_allow_weaker, "HEARTH_SANDBOX_ALLOW_WEAKER",
      "Isolation steps runs and guests may start without when this host lacks them (comma-separated: cgroup, "
      "landlock, disk-quota); unset: a run or guest that cannot have one refuses to start");
  add("--couch-host-token", c.couch_host_token, "HEARTH_HOST_TOKEN",
      "Bearer token of the couch's host endpoints; unset: generated at first start into DATA_DIR/couch-host.token (0600)");
  add("--couch-backend", c.couch_backend, "HEARTH_COUCH_BACKEND",
      "Guest environments: local (a sandbox with a persistent home under DATA_DIR/guests) or none (the host activates guests)")
      ->check(CLI::IsMember({"local", "none"}));
  add("--couch-rootfs", c.couch_rootfs, "HEARTH_COUCH_ROOTFS",
      "Golden root filesystem of guest environments (scripts/make-rootfs.sh builds one); unset: the host's system dirs, read-only")
      ->check([](const std::string& dir) { return dir.empty() ? std::string() : CLI::ExistingDirectory(dir); });
  add("--couch-capacity-mb", c.couch_capacity_mb, "HEARTH_COUCH_CAPACITY_MB",
      "Memory (MB) this node offers guest environments, counted by their maxMemoryMb; in a cluster a guest that "
      "does not fit goes to a member with room; 0: the host's physical memory");
  add("--market-sellers", c.market_sellers, "HEARTH_MARKET_SELLERS",
      "Sellers this hub accepts on /market/sellers: any, none, or their addresses (comma-separated)");
  add("--market-submit", c.market_submit, "HEARTH_MARKET_SUBMIT",
      "Who may POST /jobs/submit: anyone (bounded per client address) or host (the host token)")
      ->check(CLI::IsMember({"anyone", "host"}));
  add("--market-submit-rate", c.market_submit_rate, "HEARTH_MARKET_SUBMIT_RATE",
      "Job submissions per second one client address may make (burst: 30 times that)")
      ->check(CLI::Range(0.01, 100000.0));
  add("--market-heartbeat-ms", c.market_heartbeat_ms, "HEARTH_MARKET_HEARTBEAT_MS",
      "Sellers' heartbeat interval, ms; 3 missed: stale (no new jobs), 6 missed: offline (its jobs lost); "
      "a socket with no hello in 5 (at least 2 s) is closed")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{600000}));
  add("--cluster-listen", c.cluster_listen, "HEARTH_CLUSTER_LISTEN",
      "Cluster listener host:port (port 0: any): other nodes connect here, TLS with certificates of the cluster CA");
  add("--join", c.cluster_join, "HEARTH_CLUSTER_JOIN", "Cluster members to join through, host:port, comma-separated");
  add("--cluster-cert", c.cluster_cert, "HEARTH_CLUSTER_CERT", "This node's cluster certificate (hearth cluster cert)");
  add("--cluster-key", c.cluster_key, "HEARTH_CLUSTER_KEY", "The key of --cluster-cert");
  add("--cluster-ca", c.cluster_ca, "HEARTH_CLUSTER_CA", "The cluster CA's certificate: only its nodes are let in");
  add("--cluster-name", c.cluster_name, "HEARTH_CLUSTER_NAME", "This node's name in the cluster (default: its address)");
  add("--cluster-http-url", c.cluster_http_url, "HEARTH_CLUSTER_HTTP_URL",
      "The URL the cluster announces for this node's HTTP (`hearth offer --replicas` uploads there; default: its --listen URL)");
  add("--cluster-heartbeat-ms", c.cluster_heartbeat_ms, "HEARTH_CLUSTER_HEARTBEAT_MS",
      "Cluster heartbeat, ms; a member not heard from in 3 is gone")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{600000}));
  add("--actor-threads", c.actor_threads, "HEARTH_ACTOR_THREADS", "Actor scheduler threads")->check(CLI::Range(1u, 256u));
  add("--http-threads", c.http_threads, "HEARTH_HTTP_THREADS", "HTTP io threads")->check(CLI::Range(1u, 64u));
  add("--http-header-limit", c.http.header_bytes, "HEARTH_HTTP_HEADER_LIMIT", "Largest request header, bytes")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 20));
  add("--http-body-limit", c.http.body_bytes, "HEARTH_HTTP_BODY_LIMIT", "Largest buffered request body, bytes")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 32));
  add("--http-upload-limit", c.http.upload_bytes, "HEARTH_HTTP_UPLOAD_LIMIT", "Largest offer upload (executable), bytes")
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{1} << 34));
  add("--http-cgi-body-limit", c.http.spool_bytes, "HEARTH_HTTP_CGI_BODY_LIMIT",
      "Largest CGI request body, bytes (bodies above 64 KiB stream to a file in the data dir, not memory)")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40));
  add("--http-max-connections", c.http.max_connections, "HEARTH_HTTP_MAX_CONNECTIONS", "Open connections at most")
      ->check(CLI::Range(1u, 1000000u));
  add("--http-max-connections-per-address", c.http.max_connections_per_address,
      "HEARTH_HTTP_MAX_CONNECTIONS_PER_ADDRESS",
      "Open connections from one peer address at most (more are answered 429); at the global limit, a "
      "connection waiting for a request from the busiest address is closed to make room")
      ->check(CLI::Range(1u, 1000000u));
  add("--http-max-requests-per-connection", c.http.max_requests_per_connection,
      "HEARTH_HTTP_MAX_REQUESTS_PER_CONNECTION", "Requests served on one keep-alive connection before it closes")
      ->check(CLI::Range(1u, 1000000u));
  static const millis_option timeouts[] = {
      {"--http-header-timeout-ms", "HEARTH_HTTP_HEADER_TIMEOUT_MS", "Deadline to receive a request header",
       &net::http_limits::header_timeout},
      {"--http-body-timeout-ms", "HEARTH_HTTP_BODY_TIMEOUT_MS", "Deadline to receive a request body (and send a response)",
       &net::http_limits::body_timeout},
      {"--http-idle-timeout-ms", "HEARTH_HTTP_IDLE_TIMEOUT_MS", "Keep-alive wait for the next request",
       &net::http_limits::idle_timeout},
      {"--http-handler-timeout-ms", "HEARTH_HTTP_HANDLER_TIMEOUT_MS", "Deadline for the node to answer a request",
       &net::http_limits::handler_timeout},
      {"--http-drain-timeout-ms", "HEARTH_HTTP_DRAIN_TIMEOUT_MS", "Graceful shutdown bound for requests in flight",
       &net::http_limits::drain_timeout},
  };
  for (const auto& t : timeouts) {
    auto* field = &(c.http.*(t.field));
    app.add_option_function<std::int64_t>(
           t.name, [field](std::int64_t ms) { *field = std::chrono::milliseconds(ms); }, t.help)
        ->envname(t.env)
        ->group(node_group)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
        ->default_str(std::to_string(field->count()))
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400000}));
  }
}

std::vector<std::string> environment_arguments(const CLI::App& app) {
  std::vector<std::string> args;
  for (const auto* o : node_options(app)) {
    const char* value = std::getenv(o->get_envname().c_str());
    if (!value) continue;
    args.push_back("--" + key_of(o));
    args.emplace_back(value);
  }
  return args;
}

std::string render_config(const CLI::App& app, bool effective, bool with_comments) {
  std::string out;
  if (with_comments)
    out += "# hearth node configuration (TOML). Flags and HEARTH_* environment variables override it.\n";
  for (const auto* o : node_options(app)) {
    if (with_comments) out += "\n# " + o->get_description() + " (env " + o->get_envname() + ")\n";
    std::string value = value_of(o, effective);
    if (effective && key_of(o).find("token") != std::string::npos && !value.empty()) value = "<set, not shown>";
    out += key_of(o) + " = " + (is_text(o) ? nlohmann::json(value).dump() : value) + "\n";
  }
  return out;
}

std::string config_schema(const CLI::App& app) {
  nlohmann::json props = nlohmann::json::object();
  for (const auto* o : node_options(app)) {
    std::string value = o->get_default_str();
    nlohmann::json p = {{"description", o->get_description()}, {"x-env", o->get_envname()}};
    if (is_text(o)) {
      p["type"] = "string";
      p["default"] = value;
    } else if (is_bool(o)) {
      p["type"] = "boolean";
      p["default"] = value == "true" || value == "1";
    } else {
      p["type"] = "integer";
      p["minimum"] = 0;
      if (!value.empty()) p["default"] = std::stoll(value);
    }
    props[key_of(o)] = p;
  }
  nlohmann::json schema = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                           {"title", "hearth node configuration"},
                           {"type", "object"},
                           {"additionalProperties", false},
                           {"properties", props}};
  return schema.dump(2) + "\n";
}

}  // namespace hearth::app
