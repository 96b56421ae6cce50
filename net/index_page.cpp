#include "net/index_page.hpp"

#include <nlohmann/json.hpp>

#include "actors/offer_validation.hpp"
#include "net/offer_json.hpp"
#include "payments/challenge.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

std::string price_text(const offer& o) {
  if (payments::is_free(o)) return "free";
  return payments::token_amount(payments::offer_price(o, payments::priced_per_second(o) ? 1 : 0)) +
         (payments::priced_per_second(o) ? " USDC per second" : " USDC per call");
}

// The commands that call offer s, from base (the node's URL as the client used it).
json how_to_call(const stored_offer& s, const std::string& base, const std::string& tool) {
  const offer& o = s.body;
  bool free = payments::is_free(o);
  std::string budget = free ? "" : " --key @buyer.key --max USDC:" + payments::token_amount(payments::offer_price(o, o.max_duration_secs ? o.max_duration_secs : o.limits.wall_secs));
  json calls = json::object();
  switch (o.mode) {
    case offer_mode::cgi: {
      std::string url = base + "/" + s.hash + ".cgi/";
      calls["url"] = url;
      if (free) calls["curl"] = "curl " + url;
      else calls["curl"] = "curl -i " + url + "   # answers 402 with the x402 payment it asks for";
      calls["hearth_curl"] = "hearth curl " + url + budget;
      break;
    }
    case offer_mode::batch:
      calls["hearth_run"] = "hearth run " + s.hash + " --node " + base + budget + " -- ARGS";
      break;
    case offer_mode::mcp:
      calls["mcp_tool"] = tool;
      calls["mcp_url"] = base + "/mcp";
      calls["hearth_mcp_call"] = "hearth mcp call " + tool + " --url " + base + budget + " --json '{...}'";
      calls["hearth_mcp_serve"] = "hearth mcp serve --url " + base + (free ? "" : " --key @buyer.key --budget USDC:1.0");
      break;
  }
  return calls;
}

json offer_entry(const stored_offer& s, const std::string& base, const std::string& tool) {
  const offer& o = s.body;
  return {{"hash", s.hash},
          {"name", o.name},
          {"description", o.description},
          {"mode", actors::mode_name(o.mode)},
          {"price", price_text(o)},
          {"free", payments::is_free(o)},
          {"deterministic", o.deterministic},
          {"limits",
           {{"ram_mb", o.limits.ram_mb},
            {"cpu_secs", o.limits.cpu_secs},
            {"wall_secs", o.limits.wall_secs},
            {"network", o.limits.network},
            {"max_output_bytes", o.limits.max_output_bytes}}},
          {"expires_at", o.expires_at},
          {"call", how_to_call(s, base, tool)},
          {"details", base + "/offers/" + s.hash}};
}

std::string e(const std::string& s) { return html_escape(s); }
std::string e(const json& j) { return html_escape(j.is_string() ? j.get<std::string>() : j.dump()); }

std::string offer_html(const json& j) {
  std::string name = j["name"].get<std::string>().empty() ? j["hash"].get<std::string>().substr(0, 12) : j["name"].get<std::string>();
  const auto& l = j["limits"];
  std::string html = "<section class=\"offer\">\n<h3>" + e(name) + " <small>" + e(j["mode"]) + "</small></h3>\n";
  if (!j["description"].get<std::string>().empty()) html += "<p>" + e(j["description"]) + "</p>\n";
  html += "<p><b>" + e(j["price"]) + "</b> &middot; " + std::to_string(l["ram_mb"].get<std::uint64_t>()) + " MB RAM, " +
          std::to_string(l["cpu_secs"].get<std::uint64_t>()) + " s CPU, " + std::to_string(l["wall_secs"].get<std::uint64_t>()) +
          " s wall" + (l["network"].get<bool>() ? ", network" : ", no network") +
          (j["deterministic"].get<bool>() ? ", deterministic (answers are cached)" : "") + "</p>\n<ul class=\"calls\">\n";
  for (const auto& [how, command] : j["call"].items())
    html += "<li>" + e(how) + ": <code>" + e(command) + "</code></li>\n";
  html += "</ul>\n<p><a href=\"" + e(j["details"]) + "\">the signed offer</a> &middot; <code>" + e(j["hash"]) +
          "</code></p>\n</section>\n";
  return html;
}

std::string pools_html(const std::vector<pool_use>& pools) {
  if (pools.empty()) return "";
  std::string rows;
  for (const auto& p : pools)
    rows += "<li><code>" + e(p.name) + "</code>: " + std::to_string(p.in_use) + " of " + std::to_string(p.capacity) +
            (p.period_secs ? " calls this " + std::to_string(p.period_secs) + " s period" : " runs now") + " (" +
            std::to_string(p.free_calls) + " free calls so far)</li>\n";
  return "<h2>Free-tier pools</h2>\n<ul>\n" + rows + "</ul>\n";
}

}  // namespace

bool accepts_json(std::string_view accept) {
  auto json_at = accept.find("application/json");
  if (json_at == std::string_view::npos) return false;
  auto html_at = accept.find("text/html");
  return html_at == std::string_view::npos || json_at < html_at;
}

http_response index_page(const node_info& info, const index_view& view) {
  json offers = json::array();
  for (std::size_t i = 0; i < view.offers.size(); ++i)
    offers.push_back(offer_entry(view.offers[i], view.base_url, i < view.tool_names.size() ? view.tool_names[i] : ""));
  if (view.json) {
    json pools = json::array();
    for (const auto& p : view.pools) pools.push_back({{"name", p.name}, {"capacity", p.capacity}, {"in_use", p.in_use}});
    return json_response(200, {{"node", {{"version", info.version}, {"address", info.node_address}, {"owner", info.owner}}},
                               {"offers", offers},
                               {"next", view.next.empty() ? json(nullptr) : json(view.next)},
                               {"pools", pools},
                               {"links",
                                {{"health", "/health"}, {"offers", "/offers"}, {"mcp", "/mcp"}, {"openapi", "/openapi.json"}}}});
  }
  std::string list;
  for (const auto& o : offers) list += offer_html(o);
  if (offers.empty()) list = "<p>This node offers nothing yet.</p>\n";
  std::string more = view.next.empty() ? "" : "<p><a href=\"/?after=" + e(view.next) + "\">more offers</a></p>\n";
  std::string body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hearth</title>"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.4}"
      "code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}section.offer{border-top:1px solid #ddd;padding:.5rem 0}"
      "h3 small{color:#666;font-weight:normal}ul.calls{padding-left:1.2rem}</style></head><body>\n"
      "<h1>hearth " + e(info.version) + "</h1>\n"
      "<p>Pay-per-use sandboxed compute: each call runs in a fresh sandbox; priced calls are paid with x402 (USDC).</p>\n<ul>\n"
      "<li>Node address: <code>" + e(info.node_address) + "</code></li>\n"
      "<li>Owner: <code>" + e(info.owner) + "</code></li>\n"
      "</ul>\n<h2>Offers</h2>\n" + list + more + pools_html(view.pools) +
      "<p><a href=\"/health\">/health</a> &middot; <a href=\"/offers\">/offers</a> (JSON) &middot; "
      "<a href=\"/openapi.json\">/openapi.json</a> &middot; MCP at <code>/mcp</code></p>\n</body></html>\n";
  return {200, {{"Content-Type", "text/html; charset=utf-8"}, {"Vary", "Accept"}}, std::move(body)};
}

}  // namespace hearth::net
