#include "apps/mcp_commands.hpp"

#include "apps/logging.hpp"

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "messages/clock.hpp"
#include "crypto/secp256k1_key.hpp"
#include "client/mcp_client.hpp"
#include "client/mcp_gateway.hpp"
#include "payments/buyer.hpp"
#include "payments/challenge.hpp"

namespace hearth::app {
namespace {

using nlohmann::json;

struct mcp_args {
  std::string url = "http://127.0.0.1:3000";
  std::string tool, json_args, key, pay, max;
  std::vector<std::string> args;
  bool verbose = false;
  bool json_out = false;
};


int say(const failure& f) {
  std::cerr << "hearth: " << f.message << " [" << f.code << "]\n";
  return 1;
}

int list(const mcp_args& a) {
  client::mcp_session s(a.url);
  if (auto ok = s.initialize(); !ok) return say(ok.error());
  auto tools = s.list_tools();
  if (!tools) return say(tools.error());
  if (a.json_out) {
    std::cout << json(*tools).dump(2) << "\n";
    return 0;
  }
  for (const auto& t : *tools) std::cout << t.value("name", "") << "\t" << t.value("description", "") << "\n";
  return 0;
}

// -a key=value: typed by the tool's input schema (numbers, booleans,
// objects parsed as JSON; strings kept as they are).
result<json> arguments_of(const mcp_args& a, const json& input_schema) {
  json args = json::object();
  if (!a.json_args.empty()) {
    args = json::parse(a.json_args, nullptr, false);
    if (!args.is_object()) return fail(client_errc::bad_arguments, "--json takes a JSON object");
  }
  for (const auto& kv : a.args) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return fail(client_errc::bad_arguments, "-a takes key=value");
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    std::string type = input_schema.contains("properties") && input_schema["properties"].contains(key)
                           ? input_schema["properties"][key].value("type", "")
                           : "";
    auto parsed = json::parse(value, nullptr, false);
    args[key] = type == "string" || parsed.is_discarded() ? json(value) : parsed;
  }
  return args;
}

int call_tool(const mcp_args& a) {
  client::mcp_session s(a.url);
  if (auto ok = s.initialize(); !ok) return say(ok.error());
  auto tools = s.list_tools();
  if (!tools) return say(tools.error());
  json schema = json::object();
  for (const auto& t : *tools)
    if (t.value("name", "") == a.tool) schema = t.value("inputSchema", json::object());
  auto args = arguments_of(a, schema);
  if (!args) return say(args.error());
  json params = {{"name", a.tool}, {"arguments", *args}};
  auto r = s.call("tools/call", params);
  if (!r) return say(r.error());
  json meta = r->value("_meta", json::object());
  if (r->value("isError", false) && meta.contains("x402/payment-required")) {
    auto entries = payments::parse_challenge(payments::encode_header(meta["x402/payment-required"]), "");
    if (!entries) return say(entries.error());
    auto chosen = payments::choose(*entries, a.pay, a.max.empty() ? payments::default_max : a.max);
    if (!chosen) return say(chosen.error());
    if (a.key.empty())
      return say(fail(payment_errc::payment_required, a.tool + " costs " + payments::token_amount(chosen->amount) + " USDC on " +
                                              chosen->network_name + "; give --key @FILE to pay"));
    auto key = crypto::private_key::load(a.key);
    if (!key) return say(key.error());
    auto payment = payments::payment_payload(*chosen, *key, unix_secs());
    if (!payment) return say(payment.error());
    params["_meta"] = {{"x402/payment", std::move(*payment)}};
    if (a.verbose)
      std::cerr << "* paying " << payments::token_amount(chosen->amount) << " USDC on " << chosen->network_name << "\n";
    r = s.call("tools/call", params);
    if (!r) return say(r.error());
    meta = r->value("_meta", json::object());
  }
  if (a.verbose && meta.contains("x402/payment-response"))
    std::cerr << "* receipt: " << meta["x402/payment-response"].dump() << "\n";
  bool is_error = r->value("isError", false);
  if (r->contains("structuredContent") && !is_error) {
    std::cout << (*r)["structuredContent"].dump(2) << "\n";
  } else {
    for (const auto& c : r->value("content", json::array()))
      if (c.value("type", "") == "text") (is_error ? std::cerr : std::cout) << c.value("text", "") << "\n";
  }
  return is_error ? 1 : 0;
}

struct serve_args {
  std::vector<std::string> servers;
  std::string key, budget = "USDC:1.0", pay, manifest;
};

int serve(const serve_args& a) {
  setup_logging("warn", 0, false);  // stderr: stdout carries only the protocol
  client::gateway_config config;
  config.servers = a.servers;
  config.manifest_path = a.manifest;
  if (!a.key.empty()) {
    auto key = crypto::private_key::load(a.key);
    if (!key) return say(key.error());
    config.key = *key;
  }
  auto prefs = payments::parse_preferences(a.pay);
  if (!prefs) return say(prefs.error());
  config.prefs = *prefs;
  auto budget = payments::parse_caps(a.budget);
  if (!budget || budget->size() != 1) return say(fail(payment_errc::bad_budget, "--budget looks like USDC:5.0"));
  config.budget = budget->front().amount;
  if (config.servers.empty() && config.manifest_path.empty())
    return say(fail(client_errc::no_servers, "give --@ URL (repeatable) or --manifest FILE"));
  return client::run_gateway(config, std::cin, std::cout);
}

}  // namespace

void add_mcp_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<mcp_args>();
  auto* mcp = app.add_subcommand("mcp", "Use a node's MCP tools")->require_subcommand(1);
  auto* ls = mcp->add_subcommand("list", "List the tools");
  ls->add_option("--@,--url", a->url, "Node URL (its /mcp endpoint)")->capture_default_str();
  ls->add_flag("--json", a->json_out, "Print the tools (name, description, schemas) as JSON");
  ls->callback([a, &exit_code] { exit_code = list(*a); });
  auto* call = mcp->add_subcommand("call", "Call a tool and print its structured result");
  call->add_option("tool", a->tool, "Tool name")->required();
  call->add_option("-a,--arg", a->args, "Argument key=value (repeatable)");
  call->add_option("--json", a->json_args, "Arguments as one JSON object");
  call->add_option("--@,--url", a->url, "Node URL (its /mcp endpoint)")->capture_default_str();
  call->add_option("--key", a->key, "Payer key: 0xHEX or @FILE")->envname("HEARTH_PAY_KEY");
  call->add_option("--pay", a->pay, "Preferred payment: USDC, USDC@base, JSON");
  call->add_option("--max", a->max, "Largest payment (default USDC:1.0)");
  call->add_flag("-v,--verbose", a->verbose, "Show the payment and its receipt");
  call->callback([a, &exit_code] { exit_code = call_tool(*a); });
  auto g = std::make_shared<serve_args>();
  auto* srv = mcp->add_subcommand("serve", "An MCP server on stdio for AI clients, forwarding to remote nodes' tools");
  srv->add_option("--@,--url", g->servers, "A node or MCP server URL (repeatable)");
  srv->add_option("--manifest", g->manifest, "JSON: {\"mcp\": [URL...], \"http\": [{name, description, url, input_schema}]}");
  srv->add_option("--key", g->key, "Payer key: 0xHEX or @FILE")->envname("HEARTH_PAY_KEY");
  srv->add_option("--budget", g->budget, "What this session may spend, e.g. USDC:5.0")->capture_default_str();
  srv->add_option("--pay", g->pay, "Preferred payment: USDC, USDC@base, JSON");
  srv->callback([g, &exit_code] { exit_code = serve(*g); });
}

}  // namespace hearth::app
