#include "client/mcp_gateway.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/base64.hpp"
#include "messages/clock.hpp"
#include "client/http_client.hpp"
#include "client/mcp_client.hpp"
#include "protocols/json_fields.hpp"
#include "protocols/mcp_protocol.hpp"
#include "protocols/mcp_requests.hpp"
#include "payments/challenge.hpp"
#include "tools/hearth_tool.hpp"

namespace hearth::client {
namespace {

using nlohmann::json;

constexpr std::size_t tools_page = 50;
constexpr auto progress_every = std::chrono::seconds(5);
const char* const session_tool = "hearth_session";

std::uint64_t atomic_u64(const crypto::uint256& v) {
  auto text = crypto::to_decimal(v);
  return text.size() > 18 ? UINT64_MAX : std::stoull(text);
}
std::string usdc(std::uint64_t atomic) { return payments::token_amount(*crypto::parse_uint256(std::to_string(atomic))); }

using mcp::text_result;

// A re-exported tool and where it goes.
struct routed_tool {
  json definition;        // as exported
  std::size_t backend = 0;
  std::string remote_name;
  bool http = false;      // a plain HTTP tool (POST url, JSON in and out)
  std::string url;
};

struct spend {
  std::string tool, amount_usdc, network, transaction;
  std::uint64_t at = 0;
};

class gateway {
 public:
  gateway(const gateway_config& c, std::ostream& out) : config_(c), out_(out), budget_(atomic_u64(c.budget)) {}

  int serve(std::istream& in) {
    load_backends();
    std::string line;
    while (read_line(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      handle(line);
    }
    for (auto& w : workers_) w.thread.join();
    return 0;
  }

 private:
  // One line, bounded; an over-long line is answered -32600 and skipped.
  bool read_line(std::istream& in, std::string& line) {
    line.clear();
    for (char c; in.get(c);) {
      if (c == '\n') return true;
      if (line.size() >= config_.max_line_bytes) {
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
        send({{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", mcp::invalid_request}, {"message", "message too large"}}}});
        line.clear();
        return true;
      }
      line += c;
    }
    return !line.empty();
  }

  void send(const json& msg) {
    std::lock_guard<std::mutex> lock(out_mutex_);
    out_ << msg.dump() << "\n" << std::flush;
  }
  void answer(const json& id, const json& result) { send({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}); }
  void error(const json& id, int code, const std::string& message) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
  }
  void error(const mcp::rpc_refusal& r) { error(r.id, r.code, r.message); }

  void load_backends() {
    std::vector<std::string> urls = config_.servers;
    json http_tools = json::array();
    if (!config_.manifest_path.empty()) {
      std::ifstream f(config_.manifest_path);
      auto m = json::parse(f, nullptr, false);
      if (!m.is_object()) spdlog::error("gateway manifest {} is not a JSON object; ignored", config_.manifest_path);
      else {
        for (const auto& u : protocols::array_or_empty(m, "mcp"))
          if (u.is_string()) urls.push_back(u);
        http_tools = protocols::array_or_empty(m, "http");
      }
    }
    std::set<std::string> taken = {session_tool};
    for (std::size_t i = 0; i < urls.size(); ++i) {
      sessions_.emplace_back(urls[i]);
      auto& s = sessions_.back();
      auto ok = s.initialize();
      auto tools = ok ? s.list_tools() : result<std::vector<json>>(ok.error());
      if (!tools) {
        spdlog::warn("gateway: {} unavailable: {}", urls[i], tools.error().message);
        continue;
      }
      for (auto& t : *tools) add_tool(t, i, false, "", taken);
    }
    for (const auto& h : http_tools) {
      if (!h.is_object() || !h.contains("url") || !h["url"].is_string()) continue;
      json def = {{"name", protocols::text_or(h, "name", "http_tool")},
                  {"description", protocols::text_or(h, "description")},
                  {"inputSchema", protocols::object_or_empty(h, "input_schema")}};
      add_tool(def, 0, true, h["url"], taken);
    }
    spdlog::info("gateway: {} tool(s) from {} server(s)", tools_.size(), sessions_.size());
  }

  // Repairs a remote definition so that strict clients accept it.
  void add_tool(const json& t, std::size_t backend, bool http, const std::string& url, std::set<std::string>& taken) {
    if (!t.is_object()) return;
    std::string remote = protocols::text_or(t, "name");
    std::string name;
    for (char c : remote)
      name += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ? c : '_';
    if (name.empty()) name = "tool";
    name = name.substr(0, 60);
    std::string unique = name;
    for (int n = 2; taken.count(unique); ++n) unique = name + "_" + std::to_string(n);
    taken.insert(unique);
    json input = protocols::object_or_empty(t, "inputSchema");
    if (protocols::text_or(input, "type") != "object") input = {{"type", "object"}};
    json def = {{"name", unique}, {"inputSchema", input}};
    if (t.contains("description") && t["description"].is_string()) def["description"] = t["description"];
    if (t.contains("title") && t["title"].is_string()) def["title"] = t["title"];
    auto output = t.find("outputSchema");
    if (output != t.end() && protocols::text_or(*output, "type") == "object") def["outputSchema"] = *output;
    tools_.push_back({def, backend, remote, http, url});
  }

  json session_definition() const {
    return {{"name", session_tool},
            {"description", "This gateway session: budget, what was spent on which tool, and the limits"},
            {"inputSchema", {{"type", "object"}, {"additionalProperties", false}}},
            {"outputSchema",
             {{"type", "object"},
              {"properties",
               {{"budget_usdc", {{"type", "string"}}},
                {"spent_usdc", {{"type", "string"}}},
                {"remaining_usdc", {{"type", "string"}}},
                {"reserved_usdc", {{"type", "string"}}},
                {"payer", {{"type", json::array({"string", "null"})}}},
                {"calls", {{"type", "array"}}}}},
              {"required", {"budget_usdc", "spent_usdc", "remaining_usdc", "calls"}}}}};
  }

  json session_report() {
    std::lock_guard<std::mutex> lock(spend_mutex_);
    json calls = json::array();
    for (const auto& s : history_)
      calls.push_back({{"tool", s.tool}, {"amount_usdc", s.amount_usdc}, {"network", s.network},
                       {"transaction", s.transaction}, {"at", s.at}});
    json out = {{"budget_usdc", usdc(budget_)},
                {"spent_usdc", usdc(spent_)},
                {"remaining_usdc", usdc(budget_ - spent_)},
                {"reserved_usdc", usdc(reserved_)},
                {"payer", config_.key ? json(config_.key->to_address().checksummed()) : json(nullptr)},
                {"calls", calls}};
    json result = text_result(out.dump(), false);
    result["structuredContent"] = out;
    return result;
  }

  void handle(const std::string& line) {
    auto read = mcp::read_rpc_request(line);
    if (auto* refused = std::get_if<mcp::rpc_refusal>(&read)) return error(*refused);
    auto& msg = std::get<mcp::rpc_request>(read);
    const std::string& method = msg.method;
    const json& params = msg.params;
    if (msg.notification) {
      if (method == "notifications/cancelled" && params.is_object() && params.contains("requestId")) {
        std::lock_guard<std::mutex> lock(cancel_mutex_);
        cancelled_.insert(params["requestId"].dump());
      }
      return;
    }
    const json& id = msg.id;
    if (method == "initialize") {
      std::string version = mcp::negotiate_version(protocols::text_or(params, "protocolVersion"));
      return answer(id, {{"protocolVersion", version},
                         {"capabilities", {{"tools", {{"listChanged", false}}}}},
                         {"serverInfo", {{"name", "hearth-gateway"}, {"version", HEARTH_VERSION}}},
                         {"instructions", "Tools of remote hearth nodes; priced calls are paid from this session's "
                                          "budget (see the hearth_session tool)."}});
    }
    if (method == "ping") return answer(id, json::object());
    if (method == "tools/list") {
      auto cursor = mcp::read_cursor(id, params);
      if (auto* refused = std::get_if<mcp::rpc_refusal>(&cursor)) return error(*refused);
      const std::string& text = std::get<std::string>(cursor);
      std::size_t start = 0;
      if (!text.empty()) {
        if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
          return error(id, mcp::invalid_params, "invalid cursor");
        start = std::stoul(text);
      }
      std::vector<json> all = {session_definition()};
      for (const auto& t : tools_) all.push_back(t.definition);
      if (start > all.size()) return error(id, mcp::invalid_params, "invalid cursor");
      json page = json::array();
      std::size_t end = std::min(all.size(), start + tools_page);
      for (std::size_t i = start; i < end; ++i) page.push_back(all[i]);
      json result = {{"tools", page}};
      if (end < all.size()) result["nextCursor"] = std::to_string(end);
      return answer(id, result);
    }
    if (method == "tools/call") {
      auto call = mcp::read_tool_call(id, params);
      if (auto* refused = std::get_if<mcp::rpc_refusal>(&call)) return error(*refused);
      const std::string& name = std::get<mcp::tool_call>(call).name;
      json arguments = std::get<mcp::tool_call>(call).arguments;
      const json& meta = std::get<mcp::tool_call>(call).meta;
      if (name == session_tool) return answer(id, session_report());
      auto it = std::find_if(tools_.begin(), tools_.end(), [&](const routed_tool& t) { return t.definition["name"] == name; });
      if (it == tools_.end()) return error(id, mcp::invalid_params, "unknown tool: " + name);
      json token = meta.contains("progressToken") ? meta["progressToken"] : json(nullptr);
      routed_tool tool = *it;
      reap_workers();
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers_.push_back({std::thread([this, id, tool, arguments, token, done] {
                            run_call(id, tool, arguments, token);
                            done->store(true);
                          }),
                          done});
      return;
    }
    error(id, mcp::method_not_found, "method not found: " + method);
  }

  // Joins the calls that have ended, so a long session does not keep their threads.
  void reap_workers() {
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (!it->done->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it = workers_.erase(it);
    }
  }

  // A call on its own thread: progress while it runs, no answer once cancelled.
  void run_call(json id, routed_tool tool, json arguments, json token) {
    auto pending = std::async(std::launch::async, [&] { return call_tool(tool, arguments); });
    int tick = 0;
    while (pending.wait_for(progress_every) != std::future_status::ready)
      if (!token.is_null())
        send({{"jsonrpc", "2.0"}, {"method", "notifications/progress"},
              {"params", {{"progressToken", token}, {"progress", ++tick}, {"message", "waiting for " + tool.remote_name}}}});
    json result = pending.get();
    {
      std::lock_guard<std::mutex> lock(cancel_mutex_);
      if (cancelled_.count(id.dump())) return;
    }
    answer(id, result);
  }

  // Chooses a payment for one of entries within what is left of the budget
  // and reserves its amount at once (the choice and the reservation under
  // one lock), so concurrent calls never sign more than the budget; the
  // reason as an isError result otherwise.
  result<payments::offered> reserve_payment(const std::vector<payments::offered>& entries) {
    if (!config_.key) return fail(payment_errc::no_key, "this tool is priced and the gateway has no payer key (--key)");
    std::lock_guard<std::mutex> lock(spend_mutex_);
    std::uint64_t left = budget_ - spent_ - reserved_;
    payments::spend_cap cap;
    cap.amount = *crypto::parse_uint256(std::to_string(left));
    auto chosen = payments::choose(entries, config_.prefs, {cap});
    if (!chosen && chosen.error().code == payment_errc::over_max)
      return fail(payment_errc::over_budget, "not paid: " + chosen.error().message.substr(0, chosen.error().message.find(" is above")) +
                                     " is more than the " + usdc(left) + " USDC left of this session's budget");
    if (chosen) reserved_ += std::min(atomic_u64(chosen->amount), left);
    return chosen;
  }

  // Ends a reservation: charged, it becomes spend (with the receipt's
  // transaction); not charged, its amount is free again.
  void settle_reservation(const std::string& tool, const payments::offered& o, bool charged, const json& receipt) {
    std::lock_guard<std::mutex> lock(spend_mutex_);
    std::uint64_t amount = std::min(atomic_u64(o.amount), reserved_);
    reserved_ -= amount;
    if (!charged) return;
    spent_ += amount;
    history_.push_back({tool, usdc(amount), o.network_name, protocols::text_or(receipt, "transaction"), unix_secs()});
  }

  // Makes a result safe for strict clients: none of structuredContent on
  // errors; with an outputSchema, a valid structuredContent or an error.
  json checked(const routed_tool& tool, json result) {
    if (!result.is_object() || !result.contains("content")) return text_result("the server's result is malformed", true);
    if (protocols::bool_or(result, "isError")) {
      result.erase("structuredContent");
      return result;
    }
    if (tool.definition.contains("outputSchema")) {
      if (!result.contains("structuredContent"))
        return text_result("the tool returned no structured result for its output schema", true);
      if (auto bad = tool::validate(tool.definition["outputSchema"], result["structuredContent"]))
        return text_result("the tool's result breaks its output schema: " + *bad, true);
    }
    return result;
  }

  json call_tool(const routed_tool& tool, const json& arguments) {
    if (tool.http) return call_http_tool(tool, arguments);
    mcp_session s = sessions_[tool.backend];  // a copy per call: calls run concurrently
    json params = {{"name", tool.remote_name}, {"arguments", arguments}};
    auto r = s.call("tools/call", params);
    if (!r) return text_result("the server failed: " + r.error().message, true);
    json meta = protocols::object_or_empty(*r, "_meta");
    if (!(protocols::bool_or(*r, "isError") && meta.contains("x402/payment-required"))) return checked(tool, *r);
    auto entries = payments::parse_challenge(payments::encode_header(meta["x402/payment-required"]), "");
    if (!entries) return text_result(entries.error().message, true);
    auto chosen = reserve_payment(*entries);
    if (!chosen) return text_result(chosen.error().message, true);
    const std::string& name = tool.definition["name"];
    auto payment = payments::payment_payload(*chosen, *config_.key, unix_secs());
    if (!payment) {
      settle_reservation(name, *chosen, false, {});
      return text_result(payment.error().message, true);
    }
    params["_meta"] = {{"x402/payment", std::move(*payment)}};
    r = s.call("tools/call", params);
    if (!r) {  // the payment was sent and no answer came: it may have been charged, so it stays spent
      settle_reservation(name, *chosen, true, {});
      return text_result("the server failed after payment was offered: " + r.error().message, true);
    }
    json receipt = protocols::object_or_empty(protocols::object_or_empty(*r, "_meta"), "x402/payment-response");
    settle_reservation(name, *chosen, protocols::bool_or(receipt, "success"), receipt);
    return checked(tool, *r);
  }

  json call_http_tool(const routed_tool& tool, const json& arguments) {
    client_request req{"POST", tool.url, {{"Content-Type", "application/json"}}, arguments.dump(),
                       std::chrono::seconds(3700), nullptr};
    auto res = send_request(req);
    if (!res) return text_result("the tool's server failed: " + res.error().message, true);
    std::optional<payments::offered> paid;
    if (res->status == 402) {
      auto entries = payments::parse_challenge(res->header("PAYMENT-REQUIRED"), res->body);
      if (!entries) return text_result(entries.error().message, true);
      auto chosen = reserve_payment(*entries);
      if (!chosen) return text_result(chosen.error().message, true);
      auto signed_payment = payments::sign_payment(*chosen, *config_.key, unix_secs());
      if (!signed_payment) {
        settle_reservation(tool.definition["name"], *chosen, false, {});
        return text_result(signed_payment.error().message, true);
      }
      req.headers.emplace_back(payments::payment_header_name(*chosen), std::move(*signed_payment));
      res = send_request(req);
      if (!res) {  // sent without an answer: it may have been charged
        settle_reservation(tool.definition["name"], *chosen, true, {});
        return text_result("the tool's server failed after payment was offered: " + res.error().message, true);
      }
      paid = *chosen;
    }
    if (paid) {  // a receipt, or a success without one, is a charge; an error without a receipt is not
      json receipt = json::object();
      std::string_view header = res->header("PAYMENT-RESPONSE");
      if (header.empty()) header = res->header("X-PAYMENT-RESPONSE");
      if (auto d = crypto::base64_decode(header)) receipt = json::parse(*d, nullptr, false);
      if (!receipt.is_object()) receipt = json::object();
      bool charged = receipt.empty() ? res->status < 400 : protocols::bool_or(receipt, "success");
      settle_reservation(tool.definition["name"], *paid, charged, receipt);
    }
    if (res->status >= 400) return text_result("the tool's server answered " + std::to_string(res->status) + ": " + res->body.substr(0, 2000), true);
    auto body = json::parse(res->body, nullptr, false);
    json result = text_result(body.is_discarded() ? res->body : body.dump(), false);
    if (body.is_object()) result["structuredContent"] = body;
    return checked(tool, result);
  }

  const gateway_config& config_;
  std::ostream& out_;
  std::mutex out_mutex_, spend_mutex_, cancel_mutex_;
  std::vector<mcp_session> sessions_;
  std::vector<routed_tool> tools_;
  struct worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<worker> workers_;
  std::set<std::string> cancelled_;
  std::uint64_t budget_ = 0, spent_ = 0;
  std::uint64_t reserved_ = 0;  // signed for calls in flight; spent_ + reserved_ <= budget_
  std::vector<spend> history_;
};

}  // namespace

int run_gateway(const gateway_config& config, std::istream& in, std::ostream& out) {
  gateway g(config, out);
  return g.serve(in);
}

}  // namespace hearth::client
