#include "protocols/couch_bodies.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <type_traits>

#include "messages/errors.hpp"

namespace hearth::protocols {
namespace {

using nlohmann::json;

failure bad_request(std::string why) { return fail(http_errc::bad_request, std::move(why)); }

json parse(std::string_view body, bool empty_is_object) {
  if (body.empty() && empty_is_object) return json::object();
  return json::parse(body.begin(), body.end(), nullptr, false);
}

// An optional non-negative number field of obj into field; false when it is
// something else, or an integer field's value does not fit one exactly
// (2^53 and above: JSON numbers are doubles to most clients).
template <class T>
bool read_non_negative(const json& obj, const char* key, T& field) {
  auto f = obj.find(key);
  if (f == obj.end()) return true;
  if (!f->is_number()) return false;
  double v = f->get<double>();
  if (!std::isfinite(v) || v < 0) return false;
  if constexpr (std::is_integral_v<T>) {
    if (v >= 9007199254740992.0) return false;
    field = f->is_number_float() ? static_cast<T>(v) : f->get<T>();
  } else {
    field = v;
  }
  return true;
}

bool read_text(const json& obj, const char* key, std::string& field) {
  auto f = obj.find(key);
  if (f == obj.end()) return true;
  if (!f->is_string()) return false;
  field = f->get<std::string>();
  return true;
}

bool read_flag(const json& obj, const char* key, bool& field) {
  auto f = obj.find(key);
  if (f == obj.end()) return true;
  if (!f->is_boolean()) return false;
  field = f->get<bool>();
  return true;
}

}  // namespace

result<invite_request> read_invite_body(std::string_view text) {
  json body = parse(text, true);
  if (body.is_discarded()) return bad_request("the body is not JSON");
  if (!body.is_object()) return bad_request("the body is a JSON object");
  invite_request out;
  if (!read_text(body, "createdBy", out.created_by)) return bad_request("createdBy is a string");
  if (!read_text(body, "label", out.label)) return bad_request("label is a string");
  if (auto l = body.find("resourceLimits"); l != body.end()) {
    if (!l->is_object()) return bad_request("resourceLimits is an object");
    auto& limits = out.limits;
    if (!read_non_negative(*l, "maxCpuCores", limits.max_cpu_cores) ||
        !read_non_negative(*l, "maxMemoryMB", limits.max_memory_mb) ||
        !read_non_negative(*l, "maxDiskGB", limits.max_disk_gb) ||
        !read_non_negative(*l, "maxNetworkEgressGB", limits.max_network_egress_gb) ||
        !read_non_negative(*l, "maxDurationHours", limits.max_duration_hours) ||
        !read_non_negative(*l, "maxTokenBudget", limits.max_token_budget))
      return bad_request("resourceLimits' fields are non-negative numbers");
    if (limits.max_duration_hours == 0 || limits.max_duration_hours > 24 * 365)
      return bad_request("maxDurationHours is 1 to 8760");
  }
  if (auto p = body.find("permissions"); p != body.end()) {
    if (!p->is_object()) return bad_request("permissions is an object");
    auto& perms = out.permissions;
    if (!read_flag(*p, "canAccessInternet", perms.can_access_internet) ||
        !read_flag(*p, "canSpawnSubAgents", perms.can_spawn_sub_agents) ||
        !read_flag(*p, "canAccessHostServices", perms.can_access_host_services))
      return bad_request("permissions' fields are booleans");
  }
  if (auto e = body.find("expiresInHours"); e != body.end()) {
    if (!e->is_number()) return bad_request("expiresInHours is a number");
    out.expires_in_hours = e->get<double>();
    if (!(out.expires_in_hours > 0) || out.expires_in_hours > 24 * 365)
      return bad_request("expiresInHours is above 0 and at most 8760");
  }
  return out;
}

result<redeem_request> read_redeem_body(std::string_view text) {
  json body = parse(text, false);
  auto field = [&body](const char* key) { return body.is_object() ? body.find(key) : body.end(); };
  auto code = field("code"), name = field("name"), key = field("publicKey");
  if (code == body.end() || !code->is_string() || name == body.end() || !name->is_string() ||
      name->get<std::string>().empty() || (key != body.end() && !key->is_string() && !key->is_null()))
    return bad_request("send JSON {\"code\": \"inv_...\", \"name\": \"...\", \"publicKey\"?: \"ssh-ed25519 ...\"}");
  return redeem_request{code->get<std::string>(), name->get<std::string>(),
                        key != body.end() && key->is_string() ? key->get<std::string>() : ""};
}

result<std::string> read_activate_body(std::string_view text) {
  json body = parse(text, true);
  if (!body.is_object()) return bad_request("the body is a JSON object");
  std::string endpoint;
  read_text(body, "agentEndpoint", endpoint);  // another type: no endpoint
  return endpoint;
}

result<guest_usage> read_usage_body(std::string_view text) {
  json body = parse(text, false);
  if (!body.is_object()) return bad_request("the body is a JSON object of usage counters");
  guest_usage u;
  if (!read_non_negative(body, "cpuSeconds", u.cpu_secs) || !read_non_negative(body, "memoryMB", u.memory_mb) ||
      !read_non_negative(body, "diskMB", u.disk_mb) || !read_non_negative(body, "networkEgressMB", u.network_egress_mb) ||
      !read_non_negative(body, "tokensIn", u.tokens_in) || !read_non_negative(body, "tokensOut", u.tokens_out))
    return bad_request("usage counters are non-negative numbers");
  return u;
}

result<exec_body> read_exec_body(std::string_view text) {
  json body = parse(text, false);
  if (!body.is_object()) return bad_request("send JSON {\"command\": \"...\"} or {\"argv\": [...]}");
  exec_body out;
  auto& r = out.request;
  if (auto command = body.find("command"); command != body.end()) {
    if (!command->is_string() || command->get<std::string>().empty()) return bad_request("command is a non-empty string");
    r.argv = {"/bin/sh", "-c", command->get<std::string>()};
  } else if (auto argv = body.find("argv"); argv != body.end()) {
    if (!argv->is_array() || argv->empty()) return bad_request("argv is a non-empty array of strings");
    for (const auto& a : *argv) {
      if (!a.is_string()) return bad_request("argv is a non-empty array of strings");
      r.argv.push_back(a.get<std::string>());
    }
    if (r.argv[0].empty() || r.argv[0][0] != '/') return bad_request("argv[0] is an absolute path inside the environment");
  } else {
    return bad_request("give command or argv");
  }
  if (!read_text(body, "stdin", r.stdin_data)) return bad_request("stdin is a string");
  if (!read_flag(body, "stream", out.stream)) return bad_request("stream is a boolean");
  if (auto t = body.find("timeoutSecs"); t != body.end()) {
    if (!t->is_number_unsigned() || *t < 1 || *t > 3600) return bad_request("timeoutSecs is 1 to 3600");
    r.timeout_secs = t->get<std::uint64_t>();
  }
  return out;
}

std::optional<terminal_size> read_terminal_resize(std::string_view text) {
  json msg = json::parse(text.begin(), text.end(), nullptr, false);
  if (!msg.is_object()) return std::nullopt;
  auto type = msg.find("type"), cols = msg.find("cols"), rows = msg.find("rows");
  auto dimension = [&msg](json::iterator d) { return d != msg.end() && d->is_number_unsigned() && *d >= 1 && *d <= 1000; };
  if (type == msg.end() || *type != "resize" || !dimension(cols) || !dimension(rows)) return std::nullopt;
  return terminal_size{cols->get<std::uint16_t>(), rows->get<std::uint16_t>()};
}

}  // namespace hearth::protocols
