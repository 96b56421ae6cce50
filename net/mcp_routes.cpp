#include "net/mcp_routes.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "actors/cluster_member.hpp"
#include "actors/offer_registry.hpp"
#include "messages/node.hpp"
#include "messages/offer.hpp"
#include "net/actor_ask.hpp"
#include "protocols/json_fields.hpp"
#include "protocols/mcp_protocol.hpp"
#include "protocols/mcp_requests.hpp"
#include "net/call_edge.hpp"
#include "net/task_routes.hpp"
#include "net/x402_edge.hpp"
#include "payments/challenge.hpp"
#include "tools/hearth_tool.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

constexpr std::uint32_t tools_page = 100;
constexpr std::uint32_t offers_scanned = 10000;  // MCP offers a node lists at most

using namespace mcp;  // rpc_code's names

http_response rpc_answer(const json& id, const json& result) {
  return json_response(200, {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

http_response rpc_error(const json& id, int code, const std::string& message, const json& data = nullptr) {
  json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  return json_response(200, {{"jsonrpc", "2.0"}, {"id", id}, {"error", err}});
}

http_response rpc_error(const rpc_refusal& r) { return rpc_error(r.id, r.code, r.message); }

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
    std::string name = o.body.name.empty() ? protocols::text_or(m, "name") : o.body.name;
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
  json input = protocols::object_or_empty(t.manifest, "input_schema");
  if (protocols::text_or(input, "type") != "object") input = {{"type", "object"}};
  json def = {{"name", t.name},
              {"description", protocols::text_or(t.manifest, "description") + " (" + price_text(t.offer.body) + ")"},
              {"inputSchema", input},
              {"_meta", {{"hearth/offer", t.offer.hash}, {"hearth/price", price_text(t.offer.body)}}}};
  auto output = t.manifest.find("output_schema");
  if (output != t.manifest.end() && protocols::text_or(*output, "type") == "object") def["outputSchema"] = *output;
  return def;
}

// A finished tools/call as its JSON-RPC result: the tool's answer (its JSON
// as text and, for an object, structuredContent) or its error; a payment
// challenge or a node's refusal as a tool error the model can read. The
// receipt and the task behind the result (with its read capability when
// this call ran it) go in _meta.
http_response tool_call_answer(const json& id, const result<call_result>& r, const node_info& info) {
  if (!r) return rpc_answer(id, text_result(std::string(code_name(r.error().code)) + ": " + r.error().message, true));
  if (r->payment_required) {
    json required = payment_required_json(to_requirements(r->options), r->challenge_error);
    // Not as structuredContent: clients check that against the tool's
    // outputSchema even on errors.
    json result = text_result(required.dump(), true);
    result["_meta"]["x402/payment-required"] = required;
    return rpc_answer(id, result);
  }
  json result;
  if (!r->verdict.well) {
    result = text_result(r->verdict.message, true);
  } else {
    auto out = json::parse(task_stdout(r->task, info), nullptr, false);
    result = text_result(out.dump(), false);
    if (out.is_object()) result["structuredContent"] = out;
  }
  if (r->has_receipt) result["_meta"]["x402/payment-response"] = receipt_json(r->receipt);
  json task = {{"id", r->task.id}};
  if (!r->read_token.empty()) task["read_token"] = r->read_token;
  result["_meta"]["hearth/task"] = task;
  return rpc_answer(id, result);
}

// Lists the MCP offers (this node's, then those the other cluster members
// hold), then runs f(tools).
template <class F>
void with_tools(caf::event_based_actor* self, responder respond, const json& id, F f) {
  auto& reg = self->system().registry();
  auto offers = caf::actor_cast<offer_registry_type>(reg.get(actors::offer_registry_key));
  if (!offers) return respond(rpc_error(id, internal_error, "the node's actors are restarting"));
  auto cluster = caf::actor_cast<cluster_member_type>(reg.get(actors::cluster_member_key));
  self->request(offers, ask_timeout, list_atom::value, std::string(), offers_scanned)
      .then(
          [=](std::vector<stored_offer>& all) {
            if (!cluster) return f(tools_of(all));
            self->request(cluster, ask_timeout, list_atom::value)
                .then(
                    [=](std::vector<stored_offer>& others) mutable {
                      std::set<std::string> here;
                      for (const auto& o : all) here.insert(o.hash);
                      for (auto& o : others)
                        if (!here.count(o.hash)) all.push_back(std::move(o));
                      f(tools_of(all));
                    },
                    [=](caf::error&) mutable { f(tools_of(all)); });
          },
          [=](caf::error& e) { respond(rpc_error(id, internal_error, self->system().render(e))); });
}

void handle_rpc(caf::event_based_actor* self, node_info info, call_payment pr, rpc_request msg, responder respond) {
  const json& id = msg.id;
  const std::string& method = msg.method;
  const json& params = msg.params;

  if (method == "initialize") {
    std::string version = mcp::negotiate_version(protocols::text_or(params, "protocolVersion"));
    return respond(rpc_answer(id, {{"protocolVersion", version},
                                   {"capabilities", {{"tools", {{"listChanged", false}}}}},
                                   {"serverInfo", {{"name", "hearth"}, {"version", info.version}}},
                                   {"instructions", "Tools are sandboxed programs on a hearth node. Priced tools are "
                                                    "paid per call with x402 (USDC): send the payment in "
                                                    "params._meta[\"x402/payment\"]."}}));
  }
  if (method == "ping") return respond(rpc_answer(id, json::object()));
  if (method == "tools/list") {
    auto read = read_cursor(id, params);
    if (auto* refused = std::get_if<rpc_refusal>(&read)) return respond(rpc_error(*refused));
    std::string cursor = std::get<std::string>(read);
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
    auto read = read_tool_call(id, params);
    if (auto* refused = std::get_if<rpc_refusal>(&read)) return respond(rpc_error(*refused));
    auto& request = std::get<tool_call>(read);
    std::string name = request.name;
    json arguments = request.arguments;
    if (request.meta.contains("x402/payment")) pr.header = payments::encode_header(request.meta["x402/payment"]);
    std::uint64_t duration = 0;  // a per-second tool's run: _meta "hearth/duration" seconds
    if (request.meta.contains("hearth/duration")) {
      const auto& d = request.meta["hearth/duration"];
      if (!d.is_number_unsigned() || d == 0)
        return respond(rpc_error(id, invalid_params, "_meta hearth/duration is a whole number of seconds, at least 1"));
      duration = d.get<std::uint64_t>();
    }
    return with_tools(self, respond, id, [=](std::vector<tool_entry> tools) {
      auto it = std::find_if(tools.begin(), tools.end(), [&](const tool_entry& t) { return t.name == name; });
      if (it == tools.end()) return respond(rpc_error(id, invalid_params, "unknown tool: " + name));
      json input_schema = protocols::object_or_empty(it->manifest, "input_schema");
      if (auto bad = tool::validate(input_schema, arguments))
        return respond(rpc_answer(id, text_result("invalid arguments: " + *bad, true)));
      call_request call{it->offer.hash, offer_mode::mcp, {}, pr, {}, {}};
      call.input.stdin_data = arguments.dump();
      call.input.duration_secs = duration;
      call.input.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "MCP_TOOL=" + name};
      call.payment.resource_url = pr.resource_url + "#" + name;
      if (it->manifest.contains("output_schema") && !it->manifest["output_schema"].is_null())
        call.output_schema = it->manifest["output_schema"].dump();
      call_offer(self->system(), std::move(call), respond,
                 [id, info](const result<call_result>& r) { return tool_call_answer(id, r, info); });
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

std::vector<std::string> mcp_tool_names(std::vector<stored_offer> offers) {
  std::map<std::string, std::string> by_hash;
  for (auto& t : tools_of(offers)) by_hash[t.offer.hash] = t.name;
  std::vector<std::string> names;
  for (const auto& o : offers) names.push_back(by_hash.count(o.hash) ? by_hash[o.hash] : "");
  return names;
}

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
  auto read = read_rpc_request(req.body);
  if (auto* refused = std::get_if<rpc_refusal>(&read)) {
    respond(rpc_error(*refused));
    return true;
  }
  auto& msg = std::get<rpc_request>(read);
  if (msg.notification) {  // accepted, never answered
    respond(http_response{202, {}, ""});
    return true;
  }
  auto pr = read_call_payment(req);
  pr.resource_url = "http://" + std::string(req.header("Host")) + "/mcp";
  // A tools/call runs as long as its task; the session's handler timeout comes first.
  bridge_run(
      sys, std::move(respond),
      [info, pr = std::move(pr), msg = std::move(msg)](caf::event_based_actor* self, const responder& r) {
        handle_rpc(self, info, pr, msg, r);
      },
      std::chrono::hours(2));
  return true;
}

}  // namespace hearth::net
