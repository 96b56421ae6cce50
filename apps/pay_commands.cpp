#include "apps/pay_commands.hpp"

#include <iostream>
#include <map>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "crypto/uint256.hpp"
#include "client/http_client.hpp"
#include "payments/challenge.hpp"
#include "payments/networks.hpp"

namespace hearth::app {
namespace {

using nlohmann::json;

struct pay_args {
  std::string node = "http://127.0.0.1:3000";
  std::string format;  // "", csv, json
  std::string id;
  bool json_out = false;  // the totals as JSON
};

result<json> get_json(const std::string& node, const std::string& path) {
  std::string base = node;
  while (!base.empty() && base.back() == '/') base.pop_back();
  client::client_request req{"GET", base + path, {}, "", std::chrono::seconds(30), nullptr};
  auto res = client::send_request(req);
  if (!res) return res.error();
  auto j = json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    if (j.is_object() && j.contains("error") && j["error"].is_object())
      return fail(parse_error_code(j["error"].value("code", "")).value_or(client_errc::http_error),
                  j["error"].value("message", std::string()));
    return fail(client_errc::http_error, "the node answered " + std::to_string(res->status));
  }
  if (!j.is_object()) return fail(client_errc::bad_answer, "the node's answer is not JSON");
  return j;
}

// Adds b to a (both decimal atomic units); 256-bit, no overflow in practice.
std::string add_decimal(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    int d = carry + (i < a.size() ? a[a.size() - 1 - i] - '0' : 0) + (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
    out.insert(out.begin(), static_cast<char>('0' + d % 10));
    carry = d / 10;
  }
  return out.empty() ? "0" : out;
}

std::string network_name(const std::string& caip2) {
  const auto* n = payments::find_network(caip2);
  return n ? n->name : caip2;
}

int ledger(const pay_args& a) {
  std::vector<json> entries;
  std::string after;
  for (;;) {
    auto page = get_json(a.node, "/payments/ledger?limit=1000&after=" + after);
    if (!page) {
      std::cerr << "hearth: " << page.error().message << " [" << page.error().code << "]\n";
      return 1;
    }
    for (auto& e : (*page)["entries"]) entries.push_back(e);
    if (!(*page)["next"].is_string()) break;
    after = (*page)["next"].get<std::string>();
  }
  if (a.format == "json") {
    std::cout << json(entries).dump(2) << "\n";
    return 0;
  }
  if (a.format == "csv") {
    std::cout << "payment,pay_to,payer,network,asset,amount_atomic,amount_usdc,settled_at_ms,offer,task,settled_on,transaction\n";
    for (const auto& e : entries) {
      std::string amount = e.value("amount", "0");
      std::cout << e.value("payment", "") << "," << e.value("pay_to", "") << "," << e.value("payer", "") << ","
                << network_name(e.value("network", ""))
                << "," << e.value("asset", "") << "," << amount << ","
                << payments::token_amount(*crypto::parse_uint256(amount)) << "," << e.value("settled_at_ms", 0ll) << ","
                << e.value("offer", "") << "," << e.value("task", "") << "," << e.value("settled_on", "ledger") << ","
                << e.value("transaction", "") << "\n";
    }
    return 0;
  }
  // Per payTo, network and asset, and by how many payers: what moved on
  // chain apart from what is only owed in this node's ledger.
  struct total {
    std::string atomic = "0";
    std::size_t count = 0;
    std::set<std::string> payers;
  };
  std::map<std::tuple<std::string, std::string, std::string, std::string>, total> totals;  // pay_to, network, asset, how
  for (const auto& e : entries) {
    auto& t = totals[{e.value("pay_to", ""), network_name(e.value("network", "")), e.value("asset", ""),
                      e.value("settled_on", "ledger")}];
    t.atomic = add_decimal(t.atomic, e.value("amount", "0"));
    ++t.count;
    t.payers.insert(e.value("payer", ""));
  }
  if (a.json_out) {
    json out = json::array();
    for (const auto& [k, t] : totals) {
      const auto& [pay_to, net, asset, how] = k;
      out.push_back({{"pay_to", pay_to}, {"network", net}, {"asset", asset}, {"settled_on", how}, {"payments", t.count},
                     {"payers", t.payers.size()}, {"amount_atomic", t.atomic},
                     {"amount_usdc", payments::token_amount(*crypto::parse_uint256(t.atomic))}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (totals.empty()) {
    std::cout << "no settled payments\n";
    return 0;
  }
  std::cout << "paid to (payTo)                             network       settled  payments  payers  USDC\n";
  for (const auto& [k, t] : totals) {
    const auto& [pay_to, net, asset, how] = k;
    std::printf("%-43s %-13s %-7s %9zu %7zu  %s\n", pay_to.empty() ? "(unrecorded)" : pay_to.c_str(), net.c_str(),
                how.c_str(), t.count, t.payers.size(), payments::token_amount(*crypto::parse_uint256(t.atomic)).c_str());
  }
  return 0;
}

int status(const pay_args& a) {
  auto j = get_json(a.node, "/payments/" + a.id);
  if (!j) {
    std::cerr << "hearth: " << j.error().message << " [" << j.error().code << "]\n";
    return 1;
  }
  std::cout << j->dump(2) << "\n";
  return 0;
}

}  // namespace

void add_pay_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<pay_args>();
  auto* pay = app.add_subcommand("pay", "The node's payments: receivables ledger and payment records")->require_subcommand(1);
  auto* led = pay->add_subcommand("ledger", "Settled receivables per payTo and network (or every entry with --export)");
  led->add_option("--node", a->node, "Node URL (loopback)")->envname("HEARTH_NODE")->capture_default_str();
  led->add_option("--export", a->format, "Every entry as csv or json")->check(CLI::IsMember({"csv", "json"}));
  led->add_flag("--json", a->json_out, "Print the totals as JSON");
  led->callback([a, &exit_code] { exit_code = ledger(*a); });
  auto* st = pay->add_subcommand("status", "One payment record");
  st->add_option("--node", a->node, "Node URL (loopback)")->envname("HEARTH_NODE")->capture_default_str();
  st->add_option("id", a->id, "Payment id")->required();
  st->callback([a, &exit_code] { exit_code = status(*a); });
}

}  // namespace hearth::app
