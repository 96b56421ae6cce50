#include "net/mcp_routes.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "actors/offer_registry.hpp"
#include "crypto/base64.hpp"
#include "messages/node_messages.hpp"
#include "messages/offer.hpp"
#include "net/actor_ask.hpp"
#include "net/mcp_protocol.hpp"
#include "net/paywall.hpp"
#include "net/task_routes.hpp"
#include "payments/challenge.hpp"
#include "sandbox/limits.hpp"
#include "tools/hearth_tool.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

constexpr std::uint32_t tools_page = 100;
constexpr std::uint32_t offers_scanned = 10000;  // MCP offers a node lists at most

enum rpc_code { parse_error = -32700, invalid_request = -32600, method_not_found = -32601, invalid_params = -32602,
                internal_error = -32603 };

http_response rpc_answer(const json& id, const json& result) {
  return json_response(200, {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

http_response rpc_error(const json& id, int code, const std::string& message, const json& data = nullptr) {
  json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  return json_response(200, {{"jsonrpc", "2.0"}, {"id", id}, {"error", err}});
}

using mcp::text_result;

// One MCP offer as a tool.
struct tool_entry {
  std::string name;
  stored_offer offer;
  json manifest;
};

// Names are the tools' own; when two offers share one, each gets its
// offer hash's first 8 digits appended, so every name stays unique and stable.
std::vector<tool_entry> tools_of(std::vector<stored_offer>& offers) {
  std::vector<tool_entry> out;
  std::map<std::string, int> uses;
  for (auto& o : offers) {
    if (o.body.mode != offer_mode::mcp) continue;
    auto m = json::parse(o.body.manifest, nullptr, false);
    if (!m.is_object()) continue;
    // The offer's name (the owner may rename the tool), else the tool's own.
    std::string name = o.body.name.empty() ? m.value("name", "") : o.body.name;
    out.push_back({name, o, m});
    ++uses[out.back().name];
  }
  for (auto& t : out)
    if (uses[t.name] > 1) t.name = t.name.substr(0, 55) + "_" + t.offer.hash.substr(0, 8);
  return out;
}

std::string price_text(const offer& o) {
  if (payments::is_free(o)) return "free";
  return payments::token_amount(payments::offer_price(o)) + " USDC per call, paid with x402";
}

json tool_definition(const tool_entry& t) {
  json input = t.manifest.value("input_schema", json::object());
  if (!input.is_object() || input.value("type", "") != "object") input = {{"type", "object"}};
  json def = {{"name", t.name},
              {"description", t.manifest.value("description", std::string()) + " (" + price_text(t.offer.body) + ")"},
              {"inputSchema", input},
              {"_meta", {{"hearth/offer", t.offer.hash}, {"hearth/price", price_text(t.offer.body)}}}};
  auto output = t.manifest.find("output_schema");
  if (output != t.manifest.end() && output->is_object() && output->value("type", "") == "object") def["outputSchema"] = *output;
  return def;
}

// The task's outcome as a tools/call result, carried in an HTTP answer whose
// status tells the paywall whether to charge (200) or not (422).
http_response tool_answer(const task_record& t, const std::string& stdout_data, const json& output_schema) {
  auto ending = static_cast<sandbox::ending>(t.ending);
  auto as_http = [](unsigned status, const json& result) { return http_response{status, {}, result.dump()}; };
  if (t.state == task_state::failed) return as_http(422, text_result("the tool could not run: " + t.error, true));
  if (ending != sandbox::ending::exited)
    return as_http(422, text_result("the tool stopped: " + sandbox::to_string(ending), true));
  auto out = json::parse(stdout_data, nullptr, false);
  if (t.exit_code != 0) {
    std::string why = out.is_object() && out.contains("error") && out["error"].is_string()
                          ? out["error"].get<std::string>()
                          : "the tool exited with code " + std::to_string(t.exit_code);
    return as_http(422, text_result(why, true));
  }
  if (out.is_discarded()) return as_http(422, text_result("the tool's output is not JSON", true));
  if (!output_schema.is_null())
    if (auto bad = tool::validate(output_schema, out))
      return as_http(422, text_result("the tool's output breaks its output schema: " + *bad, true));
  json result = text_result(out.dump(), false);
  if (out.is_object()) result["structuredContent"] = out;
  return as_http(200, result);
}

// The paywall's HTTP answer back into a JSON-RPC tools/call result.
http_response to_rpc(const json& id, const http_response& res) {
  auto header = [&res](const char* name) { return std::string(res.header(name)); };
  if (res.status == 402) {
    auto decoded = crypto::base64_decode(header("PAYMENT-REQUIRED"));
    json required = json::parse(decoded ? *decoded : std::string("{}"), nullptr, false);
    // Not as structuredContent: clients check that against the tool's
    // outputSchema even on errors.
    json result = text_result(required.dump(), true);
    result["_meta"]["x402/payment-required"] = required;
    return rpc_answer(id, result);
  }
  auto body = json::parse(res.body, nullptr, false);
  if (body.is_object() && body.contains("content")) {
    std::string receipt = header("PAYMENT-RESPONSE");
    if (receipt.empty()) receipt = header("X-PAYMENT-RESPONSE");
    if (!receipt.empty())
      if (auto decoded = crypto::base64_decode(receipt))
        body["_meta"]["x402/payment-response"] = json::parse(*decoded, nullptr, false);
    // The task behind the result, and its read capability when this call ran it.
    std::string task = header("X-Hearth-Task");
    if (task.rfind("id=", 0) == 0) {
      json t = {{"id", task.substr(3, task.find(';') - 3)}};  // up to the usage fields (all of it without them)
      if (std::string token = header(task_token_header); !token.empty()) t["read_token"] = token;
      body["_meta"]["hearth/task"] = t;
    }
    return rpc_answer(id, body);
  }
  // A node-side refusal (malformed payment, busy node, ...): a tool error the model can read.
  std::string message = body.is_object() && body.contains("error") && body["error"].is_object()
                            ? body["error"].value("code", "error") + ": " + body["error"].value("message", "")
                            : "the node answered " + std::to_string(res.status);
  return rpc_answer(id, text_result(message, true));
}

// Lists the MCP offers, then runs f(tools).
template <class F>
void with_tools(caf::event_based_actor* self, responder respond, const json& id, F f) {
  auto offers = caf::actor_cast<offer_registry_type>(self->system().registry().get(actors::offer_registry_key));
  if (!offers) return respond(rpc_error(id, internal_error, "the node's actors are restarting"));
  self->request(offers, ask_timeout, list_atom::value, std::string(), offers_scanned)
      .then([=](std::vector<stored_offer>& all) { f(tools_of(all)); },
            [=](caf::error& e) { respond(rpc_error(id, internal_error, self->system().render(e))); });
}

void handle_rpc(caf::event_based_actor* self, node_info info, payment_request pr, json msg, responder respond) {
  json id = msg["id"];
  std::string method = msg["method"];
  json params = msg.contains("params") ? msg["params"] : json::object();
  if (!params.is_object()) return respond(rpc_error(id, invalid_params, "params must be an object"));

  if (method == "initialize") {
    std::string version = mcp::negotiate_version(params.value("protocolVersion", ""));
    return respond(rpc_answer(id, {{"protocolVersion", version},
                                   {"capabilities", {{"tools", {{"listChanged", false}}}}},
                                   {"serverInfo", {{"name", "hearth"}, {"version", info.version}}},
                                   {"instructions", "Tools are sandboxed programs on a hearth node. Priced tools are "
                                                    "paid per call with x402 (USDC): send the payment in "
                                                    "params._meta[\"x402/payment\"]."}}));
  }
  if (method == "ping") return respond(rpc_answer(id, json::object()));
  if (method == "tools/list") {
    std::string cursor = params.value("cursor", "");
    return with_tools(self, respond, id, [=](std::vector<tool_entry> tools) {
      json list = json::array();
      std::size_t start = 0;
      if (!cursor.empty()) {
        start = tools.size() + 1;
        for (std::size_t i = 0; i < tools.size(); ++i)
          if (tools[i].offer.hash == cursor) start = i + 1;
        if (start > tools.size()) return respond(rpc_error(id, invalid_params, "unknown cursor"));
      }
      std::size_t end = std::min(tools.size(), start + tools_page);
      for (std::size_t i = start; i < end; ++i) list.push_back(tool_definition(tools[i]));
      json result = {{"tools", list}};
      if (end < tools.size()) result["nextCursor"] = tools[end - 1].offer.hash;
      respond(rpc_answer(id, result));
    });
  }
  if (method == "tools/call") {
    if (!params.contains("name") || !params["name"].is_string())
      return respond(rpc_error(id, invalid_params, "tools/call needs a tool name"));
    json arguments = params.contains("arguments") ? params["arguments"] : json::object();
    if (!arguments.is_object()) return respond(rpc_error(id, invalid_params, "arguments must be an object"));
    std::string name = params["name"];
    if (params.contains("_meta") && params["_meta"].is_object() && params["_meta"].contains("x402/payment"))
      pr.header = payments::encode_header(params["_meta"]["x402/payment"]);
    return with_tools(self, respond, id, [=](std::vector<tool_entry> tools) {
      auto it = std::find_if(tools.begin(), tools.end(), [&](const tool_entry& t) { return t.name == name; });
      if (it == tools.end()) return respond(rpc_error(id, invalid_params, "unknown tool: " + name));
      json input_schema = it->manifest.value("input_schema", json::object());
      if (auto bad = tool::validate(input_schema, arguments))
        return respond(rpc_answer(id, text_result("invalid arguments: " + *bad, true)));
      json output_schema = it->manifest.contains("output_schema") ? it->manifest["output_schema"] : json();
      task_input in;
      in.stdin_data = arguments.dump();
      in.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "MCP_TOOL=" + name};
      payment_request paid = pr;
      paid.resource_url = pr.resource_url + "#" + name;
      self->spawn(run_offer_task, it->offer.hash, offer_mode::mcp, std::move(in), info, std::move(paid),
                  responder([respond, id](http_response res) { respond(to_rpc(id, res)); }),
                  task_answer([output_schema, info](const task_record& t) {
                    return tool_answer(t, task_stdout(t, info), output_schema);
                  }));
    });
  }
  respond(rpc_error(id, method_not_found, "method not found: " + method));
}

bool is_local_name(std::string host) {
  if (host.rfind("[::1]", 0) == 0) return host.size() == 5 || host[5] == ':';
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host == "127.0.0.1";
}

// DNS rebinding: a browser on this machine tricked into calling the node
// sends a foreign Host (or Origin); local clients send a local one or none.
bool origin_allowed(const http_request& req) {
  std::string host(req.header("Host"));
  if (is_loopback_peer(req.remote_address) && !host.empty() && !is_local_name(host)) return false;
  std::string origin(req.header("Origin"));
  if (origin.empty()) return true;
  auto scheme = origin.find("://");
  std::string origin_host = scheme == std::string::npos ? origin : origin.substr(scheme + 3);
  return origin_host == host || is_local_name(origin_host);
}

}  // namespace

bool route_mcp(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond) {
  if (req.path != "/mcp") return false;
  if (req.method != "POST") {
    respond(method_not_allowed(req, "POST"));  // no server-initiated stream
    return true;
  }
  if (!origin_allowed(req)) {
    respond(json_error(http_errc::origin_not_allowed, "requests from another host or origin are refused (DNS rebinding)"));
    return true;
  }
  auto msg = json::parse(req.body, nullptr, false);
  if (msg.is_discarded()) {
    respond(rpc_error(nullptr, parse_error, "parse error: the body is not JSON"));
    return true;
  }
  if (!msg.is_object() || msg.value("jsonrpc", "") != "2.0" || !msg.contains("method") || !msg["method"].is_string() ||
      (msg.contains("id") && !msg["id"].is_string() && !msg["id"].is_number_integer())) {
    respond(rpc_error(msg.is_object() && msg.contains("id") ? msg["id"] : json(nullptr), invalid_request,
                      "invalid request: a JSON-RPC 2.0 object with a method"));
    return true;
  }
  if (!msg.contains("id")) {  // a notification: accepted, never answered
    respond(http_response{202, {}, ""});
    return true;
  }
  auto pr = read_payment_request(req);
  pr.resource_url = "http://" + std::string(req.header("Host")) + "/mcp";
  sys.spawn(handle_rpc, info, std::move(pr), std::move(msg), std::move(respond));
  return true;
}

}  // namespace hearth::net
