#include "apps/mcp_commands.hpp"

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "crypto/base64.hpp"
#include "crypto/secp256k1_key.hpp"
#include "net/http_client.hpp"
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
};

constexpr const char* default_max = "USDC:1.0";

// One JSON-RPC request to URL/mcp; the result, or the error as a failure.
class mcp_session {
 public:
  explicit mcp_session(std::string url) : url_(std::move(url)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    if (url_.size() < 4 || url_.compare(url_.size() - 4, 4, "/mcp") != 0) url_ += "/mcp";
  }

  result<json> call(const std::string& method, const json& params) {
    json msg = {{"jsonrpc", "2.0"}, {"id", ++next_id_}, {"method", method}, {"params", params}};
    net::client_request req{"POST", url_, {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}},
                            msg.dump(), std::chrono::seconds(3700), nullptr};
    if (!protocol_.empty()) req.headers.emplace_back("MCP-Protocol-Version", protocol_);
    auto res = net::send_request(req);
    if (!res) return res.error();
    auto body = json::parse(res->body, nullptr, false);
    if (!body.is_object()) return fail("bad_answer", "the server answered " + std::to_string(res->status) + " without JSON-RPC");
    if (body.contains("error"))
      return fail("rpc_error", body["error"].value("message", std::string("error")) + " (" +
                                   std::to_string(body["error"].value("code", 0)) + ")");
    return body.value("result", json::object());
  }

  result<void> initialize() {
    auto r = call("initialize", {{"protocolVersion", "2025-11-25"},
                                 {"capabilities", json::object()},
                                 {"clientInfo", {{"name", "hearth"}, {"version", HEARTH_VERSION}}}});
    if (!r) return r.error();
    protocol_ = r->value("protocolVersion", "2025-11-25");
    return {};
  }

 private:
  std::string url_, protocol_;
  int next_id_ = 0;
};

int say(const failure& f) {
  std::cerr << "hearth: " << f.message << " [" << f.code << "]\n";
  return 1;
}

result<std::vector<json>> all_tools(mcp_session& s) {
  std::vector<json> tools;
  json params = json::object();
  for (int page = 0; page < 1000; ++page) {
    auto r = s.call("tools/list", params);
    if (!r) return r.error();
    for (auto& t : (*r)["tools"]) tools.push_back(t);
    if (!r->contains("nextCursor") || !(*r)["nextCursor"].is_string()) break;
    params["cursor"] = (*r)["nextCursor"];
  }
  return tools;
}

int list(const mcp_args& a) {
  mcp_session s(a.url);
  if (auto ok = s.initialize(); !ok) return say(ok.error());
  auto tools = all_tools(s);
  if (!tools) return say(tools.error());
  for (const auto& t : *tools) std::cout << t.value("name", "") << "\t" << t.value("description", "") << "\n";
  return 0;
}

// -a key=value: typed by the tool's input schema (numbers, booleans,
// objects parsed as JSON; strings kept as they are).
result<json> arguments_of(const mcp_args& a, const json& input_schema) {
  json args = json::object();
  if (!a.json_args.empty()) {
    args = json::parse(a.json_args, nullptr, false);
    if (!args.is_object()) return fail("bad_arguments", "--json takes a JSON object");
  }
  for (const auto& kv : a.args) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return fail("bad_arguments", "-a takes key=value");
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
  mcp_session s(a.url);
  if (auto ok = s.initialize(); !ok) return say(ok.error());
  auto tools = all_tools(s);
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
    auto prefs = payments::parse_preferences(a.pay);
    auto caps = payments::parse_caps(a.max.empty() ? default_max : a.max);
    if (!prefs) return say(prefs.error());
    if (!caps) return say(caps.error());
    auto chosen = payments::choose(*entries, *prefs, *caps);
    if (!chosen) return say(chosen.error());
    if (a.key.empty())
      return say(fail("payment_required", a.tool + " costs " + payments::token_amount(chosen->amount) + " USDC on " +
                                              chosen->network_name + "; give --key @FILE to pay"));
    auto key = crypto::private_key::load(a.key);
    if (!key) return say(key.error());
    auto now = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    auto header = payments::sign_payment(*chosen, *key, now);
    params["_meta"] = {{"x402/payment", json::parse(*crypto::base64_decode(header))}};
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

}  // namespace

void add_mcp_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<mcp_args>();
  auto* mcp = app.add_subcommand("mcp", "Use a node's MCP tools")->require_subcommand(1);
  auto* ls = mcp->add_subcommand("list", "List the tools");
  ls->add_option("--@,--url", a->url, "Node URL (its /mcp endpoint)")->capture_default_str();
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
}

}  // namespace hearth::app
