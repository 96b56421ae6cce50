// The node's settings, parsed once into an immutable value. Each comes from
// a flag, an environment variable or the TOML config file, in that order of
// precedence, and is described once (in add_node_options) for all three and
// for `hearth config init|show|schema`.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "net/http_types.hpp"

namespace hearth::app {

struct node_config {
  std::string listen = "127.0.0.1:3000";
  std::string data_dir = "./hearth-data";
  std::string owner;  // empty: the node's own key
  std::string log_level = "info";
  std::string accept_offers_from;  // comma-separated addresses besides the owner
  std::uint64_t offer_max_ram_mb = 4096;
  std::uint64_t offer_max_cpu_secs = 3600;
  std::uint64_t offer_max_wall_secs = 3600;
  bool offer_allow_network = false;
  unsigned max_running_tasks = 4;
  std::uint32_t cpu_units = 0;     // CPU runs may hold at once, thousandths of a core; 0: every core's
  std::string pools;               // NAME=N or NAME=N/PERIOD, comma-separated (free-tier pools)
  std::string fetch_cacert;        // PEM bundle trusted when fetching offers' executables; empty: the system's
  std::uint64_t task_retention_hours = 24 * 30;
  bool warm_sandboxes = true;
  std::string payment_networks = "base";  // x402 networks priced offers accept, comma-separated
  std::uint64_t payment_timeout_secs = 300;  // maxTimeoutSeconds of a challenge
  std::string settlement = "ledger";         // ledger | facilitator
  std::string facilitator_url;               // with settlement = facilitator
  std::string tls_cert;                      // PEM chain: listen with TLS (with tls_key); reloaded on SIGHUP
  std::string tls_key;
  std::string chain_rpc;                     // with settlement = chain: network=URL,... (JSON-RPC, http or https)
  std::string settlement_key;                // with settlement = chain: @file or 0xHEX; empty: the node key
  std::uint64_t settle_wait_ms = 10000;      // a paid call waits this long for its receipt
  std::uint64_t settle_batch_secs = 0;       // with chain: settle paid calls in one pass per interval; 0: each at once
  std::uint64_t facilitator_timeout_secs = 10;
  std::string facilitator_pay_to;               // comma-separated payTo the node's /facilitator settles for; empty: the owner
  double facilitator_rate = 10;                 // /facilitator/verify|settle requests per second per client address
  std::string sandbox_allow_weaker;             // isolation steps the operator lets go missing, comma-separated
  std::string couch_host_token;  // empty: DATA_DIR/couch-host.token, generated at first start
  std::string couch_backend = "local";  // local | none (guests wait for the host's activate)
  std::string couch_rootfs;             // a golden root filesystem for guests; empty: the host's system dirs
  std::uint64_t couch_capacity_mb = 0;  // memory offered to guests; 0: the host's physical memory
  std::string market_sellers = "any";       // sellers the hub accepts: any, none, or 0x addresses, comma-separated
  std::string market_submit = "anyone";     // anyone (bounded per client) | host
  double market_submit_rate = 1;            // job submissions per second per client address (burst: 30 times that)
  std::uint64_t market_heartbeat_ms = 2000;  // sellers' application heartbeat
  std::string cluster_listen;        // host:port of the cluster listener (CAF over TLS); empty: no cluster
  std::string cluster_join;          // host:port of members to join through, comma-separated
  std::string cluster_cert, cluster_key, cluster_ca;  // PEM: this node's certificate and key, the cluster's CA
  std::string cluster_name;          // unique in the cluster; default: the node's address
  std::string cluster_http_url;      // where members and clients reach this node's HTTP; default: its --listen URL
  std::uint64_t cluster_heartbeat_ms = 1000;
  unsigned actor_threads = 2;
  unsigned http_threads = 1;
  net::http_limits http;
};

inline constexpr const char* node_group = "Node";
inline constexpr const char* default_config_file = "hearth.toml";

void add_node_options(CLI::App& app, node_config& config);

// CLI11 2.1 lets the config file beat environment variables; hearth wants
// flags > environment > file. The environment's node settings are therefore
// turned into leading arguments (options take their last value, so a flag
// given by the user still wins, and either beats the file).
std::vector<std::string> environment_arguments(const CLI::App& app);

// name = value lines for every node option: defaults (init) or effective values (show).
std::string render_config(const CLI::App& app, bool effective, bool with_comments);
// A JSON Schema (draft 2020-12) of the config file's keys.
std::string config_schema(const CLI::App& app);

}  // namespace hearth::app
