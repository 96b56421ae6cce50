#include "apps/node_settings.hpp"

#include <unistd.h>

#include <sstream>

#include "payments/networks.hpp"

namespace hearth::app {
namespace {

result<std::vector<crypto::address>> address_list(const std::string& flag, const std::string& text) {
  std::vector<crypto::address> out;
  for (const auto& item : split_list(text)) {
    auto a = crypto::parse_address(item);
    if (!a) return fail(a.error().code, flag + ": " + item + ": " + a.error().message);
    out.push_back(*a);
  }
  return out;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

result<node_settings> parse_settings(const node_config& config) {
  node_settings s;
  s.config = config;
  if (!config.owner.empty()) {
    auto parsed = crypto::parse_address(config.owner);
    if (!parsed) return fail(parsed.error().code, "--owner: " + parsed.error().message);
    s.owner = *parsed;
  }
  auto accepted = address_list("--accept-offers-from", config.accept_offers_from);
  if (!accepted) return accepted.error();
  s.accept_offers_from = std::move(*accepted);

  for (const auto& item : split_list(config.payment_networks)) {
    const auto* n = payments::find_network(item);
    if (!n) return fail(config_errc::unknown_network, "--payment-networks: " + item + " is not base, base-sepolia or ethereum");
    s.payment_networks.push_back(n->name);
  }
  if (s.payment_networks.empty()) return fail(config_errc::unknown_network, "--payment-networks names no network");

  if (config.settlement == "facilitator") {
    if (config.facilitator_url.empty())
      return fail(config_errc::facilitator_url_missing, "--settlement facilitator needs --facilitator-url");
    s.settlement = actors::settlement_backend::facilitator;
  }
  if (config.settlement == "chain") {
    s.settlement = actors::settlement_backend::chain;
    for (const auto& item : split_list(config.chain_rpc)) {
      auto eq = item.find('=');
      const auto* n = eq == std::string::npos ? nullptr : payments::find_network(item.substr(0, eq));
      if (!n) return fail(config_errc::bad_option, "--chain-rpc: " + item + " is not NETWORK=URL of a known network");
      s.chain_rpc.emplace_back(n, item.substr(eq + 1));
    }
    for (const auto& name : s.payment_networks) {
      bool given = false;
      for (const auto& [n, url] : s.chain_rpc) given |= n->name == name;
      if (!given)
        return fail(chain_errc::chain_not_configured,
                    "--settlement chain needs a --chain-rpc endpoint for payment network " + name);
    }
  }
  if (config.settle_batch_secs && config.settlement != "chain")
    return fail(config_errc::bad_option, "--settle-batch-secs settles on chain: it needs --settlement chain");
  auto served = address_list("--facilitator-pay-to", config.facilitator_pay_to);
  if (!served) return served.error();
  s.facilitator_pay_to = std::move(*served);

  if (!config.couch_rootfs.empty() && ::access((config.couch_rootfs + "/bin/sh").c_str(), X_OK) != 0)
    return fail(config_errc::bad_rootfs, "--couch-rootfs " + config.couch_rootfs + " has no /bin/sh");
  s.couch_local = config.couch_backend == "local";
  s.couch_capacity_mb = config.couch_capacity_mb
                            ? config.couch_capacity_mb
                            : static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE) >> 20;
  s.market_hub = config.market_sellers != "none";
  if (config.market_sellers != "any" && config.market_sellers != "none") {
    auto sellers = address_list("--market-sellers", config.market_sellers);
    if (!sellers) return sellers.error();
    for (const auto& a : *sellers) s.market_sellers.push_back(crypto::to_0x(a.bytes));
    if (s.market_sellers.empty()) return fail(config_errc::bad_option, "--market-sellers lists no address");
  }
  auto pools = actors::parse_pools(config.pools);
  if (!pools) return pools.error();
  s.pools = std::move(*pools);
  return s;
}

}  // namespace hearth::app
