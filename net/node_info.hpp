// What the edges know about the node they serve, fixed at start.
#pragma once

#include "messages/interfaces.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hearth::net {

class rate_limiter;
}  // namespace hearth::net

namespace hearth::actors {
struct market_config;
}  // namespace hearth::actors

namespace hearth::net {

struct node_info {
  std::string version;
  std::string node_address;  // EIP-55 address of the node's own key
  std::string owner;         // EIP-55 address offers are signed by and paid to
  std::string data_dir;
  bool tls = false;  // the node listens with TLS (its URLs are https)
  std::vector<std::string> payment_networks = {"base"};  // x402 v1 names, in the order offered
  std::uint64_t payment_max_timeout_secs = 300;
  std::string couch_host_token_hash = {};  // hex sha256 of the couch host token
  std::shared_ptr<rate_limiter> facilitator_limit = {};  // null: unbounded (tests of the library)
  std::vector<std::string> isolation = {};  // isolation steps this host enforces, for /health
  std::vector<std::string> isolation_missing = {};  // steps it lacks (runs needing them refuse unless waived)
  std::vector<std::string> isolation_waived = {};  // steps the operator let go missing (--sandbox-allow-weaker)
  std::string settlement = "ledger";                 // ledger | facilitator | chain, for /health
  std::uint64_t settle_batch_secs = 0;                // chain: the settlement pass's interval; 0: each at once
  std::vector<chain_settler_type> chain_settlers = {};  // with chain: one per payment network
  std::string arch = {};         // the architecture this node runs (an offer's variant for it)
  std::uint32_t cpu_units = 0;   // CPU the runs may hold at once, thousandths of a core
  std::uint32_t run_slots = 0;   // tasks that may run at once (--max-running-tasks)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // The marketplace hub: its sellers' settings (null: sellers are refused),
  // who may submit jobs (true: anyone, bounded by submit_limit per client).
  std::shared_ptr<const actors::market_config> market = {};
  bool market_open_submit = true;
  std::shared_ptr<rate_limiter> submit_limit = {};
};

}  // namespace hearth::net
