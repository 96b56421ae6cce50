#include "protocols/market_wire.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <limits>

#include "messages/errors.hpp"

namespace hearth::protocols {
namespace {

using nlohmann::json;

constexpr std::size_t max_text = 4096;       // any one string field (a key line, a host key)
constexpr std::size_t max_images = 64;
constexpr std::size_t max_inventory = 4096;  // jobs in one heartbeat

failure bad(const std::string& what) { return fail(market_errc::bad_wire_message, what); }

// Field readers: each fails with a message naming the field.
struct reader {
  const json& j;
  std::string error;

  bool has(const char* k) const { return j.contains(k) && !j.at(k).is_null(); }
  std::string text(const char* k, bool required = true, std::size_t max = max_text) {
    if (!has(k)) {
      if (required && error.empty()) error = std::string(k) + " is missing";
      return "";
    }
    const auto& v = j.at(k);
    if (!v.is_string() || v.get_ref<const std::string&>().size() > max) {
      if (error.empty()) error = std::string(k) + " is not a string of at most " + std::to_string(max) + " bytes";
      return "";
    }
    return v.get<std::string>();
  }
  std::uint64_t unsigned_number(const char* k, std::uint64_t max = std::numeric_limits<std::int64_t>::max(),
                                bool required = true) {
    if (!has(k)) {
      if (required && error.empty()) error = std::string(k) + " is missing";
      return 0;
    }
    const auto& v = j.at(k);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max) {
      if (error.empty()) error = std::string(k) + " is not a whole number up to " + std::to_string(max);
      return 0;
    }
    return v.get<std::uint64_t>();
  }
  double real(const char* k, double max) {
    if (!has(k) || !j.at(k).is_number() || !std::isfinite(j.at(k).get<double>()) || j.at(k).get<double>() < 0 ||
        j.at(k).get<double>() > max) {
      if (error.empty()) error = std::string(k) + " is not a number from 0 to " + std::to_string(max);
      return 0;
    }
    return j.at(k).get<double>();
  }
};

bool valid_job_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) return false;
  return true;
}

json capacity_json(const market_capacity& c) { return {{"cpus", c.cpus}, {"mem_mb", c.mem_mb}, {"jobs", c.jobs}}; }

result<market_capacity> read_capacity(const json& j, const char* field) {
  if (!j.contains(field) || !j.at(field).is_object()) return bad(std::string(field) + " is not an object");
  reader r{j.at(field), ""};
  market_capacity c{r.real("cpus", 4096), r.unsigned_number("mem_mb", 1ull << 32),
                    static_cast<std::uint32_t>(r.unsigned_number("jobs", 100000))};
  if (!r.error.empty()) return bad(std::string(field) + "." + r.error);
  return c;
}

json report_json(const job_report& r) {
  json j = {{"job_id", r.job_id}, {"state", state_name(r.state)}, {"expires_at_ms", r.expires_at_ms}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.access.ssh_port != 0) {
    j["ssh_host"] = r.access.ssh_host;
    j["ssh_port"] = r.access.ssh_port;
    j["ssh_user"] = r.access.ssh_user;
    j["ssh_host_key"] = r.access.ssh_host_key;
  }
  return j;
}

result<job_report> read_report(const json& j) {
  if (!j.is_object()) return bad("a job report is not an object");
  reader r{j, ""};
  job_report rep;
  rep.job_id = r.text("job_id");
  std::string state = r.text("state");
  rep.reason = r.text("reason", false, 1024);
  rep.expires_at_ms = static_cast<std::int64_t>(r.unsigned_number("expires_at_ms", 1ull << 50, false));
  rep.access.ssh_host = r.text("ssh_host", false, 255);
  rep.access.ssh_port = static_cast<std::uint16_t>(r.unsigned_number("ssh_port", 65535, false));
  rep.access.ssh_user = r.text("ssh_user", false, 64);
  rep.access.ssh_host_key = r.text("ssh_host_key", false);
  if (!r.error.empty()) return bad(r.error);
  if (!valid_job_id(rep.job_id)) return bad("job_id is not an id");
  if (!parse_job_state(state, rep.state) ||
      (rep.state != job_state::running && rep.state != job_state::failed && rep.state != job_state::expired &&
       rep.state != job_state::cancelled))
    return bad("state is not running, failed, expired or cancelled");
  if (rep.state == job_state::running && (rep.access.ssh_port == 0 || rep.access.ssh_host_key.empty()))
    return bad("a running job's report carries ssh_port and ssh_host_key");
  return rep;
}

result<json> parse_object(std::string_view text, std::string& type) {
  if (text.size() > max_wire_bytes) return bad("a message is at most " + std::to_string(max_wire_bytes) + " bytes");
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("a message is one JSON object");
  if (!j.contains("v") || !j.at("v").is_number_integer() || j.at("v").get<int>() != wire_version)
    return bad("this hub speaks version " + std::to_string(wire_version) + " (field v)");
  if (!j.contains("type") || !j.at("type").is_string()) return bad("type is missing");
  type = j.at("type").get<std::string>();
  return j;
}

}  // namespace

std::string relay_frame(std::uint32_t stream, std::string_view data) {
  std::string f(4, '\0');
  for (int i = 0; i < 4; ++i) f[i] = static_cast<char>((stream >> (24 - 8 * i)) & 0xff);
  f.append(data);
  return f;
}

bool parse_relay_frame(std::string_view frame, std::uint32_t& stream, std::string_view& data) {
  if (frame.size() < 4 || frame.size() > 4 + max_relay_chunk) return false;
  stream = 0;
  for (int i = 0; i < 4; ++i) stream = stream << 8 | static_cast<unsigned char>(frame[i]);
  data = frame.substr(4);
  return true;
}

std::string hello_message(const std::string& nonce, const std::string& address, const std::string& name) {
  return "hearth seller hello v1\n" + nonce + "\n" + address + "\n" + name;
}

std::string encode(const hub_message& m) {
  json j = {{"v", wire_version}};
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, wire_challenge>) {
          j["type"] = "challenge";
          j["nonce"] = x.nonce;
          j["heartbeat_ms"] = x.heartbeat_ms;
        } else if constexpr (std::is_same_v<T, wire_welcome>) {
          j["type"] = "welcome";
          j["seller_id"] = x.seller_id;
        } else if constexpr (std::is_same_v<T, job_assignment>) {
          j["type"] = "assign";
          j["job_id"] = x.job_id;
          j["ssh_pubkey"] = x.spec.ssh_pubkey;
          j["image"] = x.spec.image;
          j["cpus"] = x.spec.cpus;
          j["mem_mb"] = x.spec.mem_mb;
          j["duration_secs"] = x.spec.duration_secs;
          j["expires_at_ms"] = x.expires_at_ms;
        } else if constexpr (std::is_same_v<T, wire_cancel>) {
          j["type"] = "cancel";
          j["job_id"] = x.job_id;
          j["reason"] = x.reason;
        } else if constexpr (std::is_same_v<T, wire_extend>) {
          j["type"] = "extend";
          j["job_id"] = x.job_id;
          j["expires_at_ms"] = x.expires_at_ms;
        } else if constexpr (std::is_same_v<T, wire_open>) {
          j["type"] = "open";
          j["stream"] = x.stream;
          j["job_id"] = x.job_id;
        } else if constexpr (std::is_same_v<T, wire_close>) {
          j["type"] = "close";
          j["stream"] = x.stream;
        } else {
          j["type"] = "refused";
          j["code"] = x.code;
          j["message"] = x.message;
        }
      },
      m);
  return j.dump();
}

std::string encode(const seller_message& m) {
  json j = {{"v", wire_version}};
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, seller_hello>) {
          j["type"] = "hello";
          j["name"] = x.name;
          j["address"] = x.address;
          j["signature"] = x.signature;
          j["ssh_host"] = x.ssh_host;
          j["images"] = x.images;
          j["price_per_hour"] = x.price_per_hour;
          j["max_duration_secs"] = x.max_duration_secs;
          j["capacity"] = capacity_json(x.capacity);
        } else if constexpr (std::is_same_v<T, seller_heartbeat>) {
          j["type"] = "heartbeat";
          j["seq"] = x.seq;
          j["free"] = capacity_json(x.free);
          j["jobs"] = json::array();
          for (const auto& r : x.jobs) j["jobs"].push_back(report_json(r));
        } else if constexpr (std::is_same_v<T, wire_close>) {
          j["type"] = "close";
          j["stream"] = x.stream;
        } else {
          j = report_json(x);
          j["v"] = wire_version;
          j["type"] = "report";
        }
      },
      m);
  return j.dump();
}

result<hub_message> decode_hub_message(std::string_view text) {
  std::string type;
  auto parsed = parse_object(text, type);
  if (!parsed) return parsed.error();
  reader r{*parsed, ""};
  hub_message out;
  if (type == "challenge") {
    wire_challenge c{r.text("nonce", true, 128), r.unsigned_number("heartbeat_ms", 3600000)};
    out = c;
  } else if (type == "welcome") {
    out = wire_welcome{r.text("seller_id", true, 256)};
  } else if (type == "assign") {
    job_assignment a;
    a.job_id = r.text("job_id");
    a.spec.ssh_pubkey = r.text("ssh_pubkey");
    a.spec.image = r.text("image", true, 128);
    a.spec.cpus = r.real("cpus", 4096);
    a.spec.mem_mb = r.unsigned_number("mem_mb", 1ull << 32);
    a.spec.duration_secs = r.unsigned_number("duration_secs", 366ull * 86400);
    a.expires_at_ms = static_cast<std::int64_t>(r.unsigned_number("expires_at_ms", 1ull << 50));
    if (r.error.empty() && !valid_job_id(a.job_id)) r.error = "job_id is not an id";
    out = a;
  } else if (type == "cancel") {
    wire_cancel c{r.text("job_id"), r.text("reason", false, 1024)};
    if (r.error.empty() && !valid_job_id(c.job_id)) r.error = "job_id is not an id";
    out = c;
  } else if (type == "extend") {
    wire_extend e{r.text("job_id"), static_cast<std::int64_t>(r.unsigned_number("expires_at_ms", 1ull << 50))};
    if (r.error.empty() && !valid_job_id(e.job_id)) r.error = "job_id is not an id";
    out = e;
  } else if (type == "open") {
    wire_open o{static_cast<std::uint32_t>(r.unsigned_number("stream", 0xffffffffu)), r.text("job_id")};
    if (r.error.empty() && !valid_job_id(o.job_id)) r.error = "job_id is not an id";
    out = o;
  } else if (type == "close") {
    out = wire_close{static_cast<std::uint32_t>(r.unsigned_number("stream", 0xffffffffu))};
  } else if (type == "refused") {
    out = wire_refused{r.text("code", true, 64), r.text("message", false, 1024)};
  } else {
    return bad("unknown type " + type.substr(0, 64));
  }
  if (!r.error.empty()) return bad(r.error);
  return out;
}

result<seller_message> decode_seller_message(std::string_view text) {
  std::string type;
  auto parsed = parse_object(text, type);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  reader r{j, ""};
  if (type == "hello") {
    seller_hello h;
    h.name = r.text("name", true, 64);
    h.address = r.text("address", true, 42);
    h.signature = r.text("signature", true, 132);
    h.ssh_host = r.text("ssh_host", false, 255);
    h.price_per_hour = r.unsigned_number("price_per_hour", 1ull << 50, false);
    h.max_duration_secs = r.unsigned_number("max_duration_secs", 366ull * 86400, false);
    if (!r.error.empty()) return bad(r.error);
    if (!j.contains("images") || !j.at("images").is_array() || j.at("images").size() > max_images)
      return bad("images is not a list of at most " + std::to_string(max_images) + " names");
    for (const auto& i : j.at("images")) {
      if (!i.is_string() || i.get_ref<const std::string&>().empty() || i.get_ref<const std::string&>().size() > 128)
        return bad("an image name is not a string of 1 to 128 bytes");
      h.images.push_back(i.get<std::string>());
    }
    auto cap = read_capacity(j, "capacity");
    if (!cap) return cap.error();
    h.capacity = *cap;
    for (char c : h.name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
        return bad("name is letters, digits, '-', '_' and '.'");
    if (h.name.empty()) return bad("name is empty");
    return seller_message{std::move(h)};
  }
  if (type == "heartbeat") {
    seller_heartbeat hb;
    hb.seq = r.unsigned_number("seq");
    if (!r.error.empty()) return bad(r.error);
    auto free = read_capacity(j, "free");
    if (!free) return free.error();
    hb.free = *free;
    if (!j.contains("jobs") || !j.at("jobs").is_array() || j.at("jobs").size() > max_inventory)
      return bad("jobs is not a list of at most " + std::to_string(max_inventory) + " reports");
    for (const auto& item : j.at("jobs")) {
      auto rep = read_report(item);
      if (!rep) return rep.error();
      hb.jobs.push_back(std::move(*rep));
    }
    return seller_message{std::move(hb)};
  }
  if (type == "close") {
    wire_close c{static_cast<std::uint32_t>(r.unsigned_number("stream", 0xffffffffu))};
    if (!r.error.empty()) return bad(r.error);
    return seller_message{c};
  }
  if (type == "report") {
    auto rep = read_report(j);
    if (!rep) return rep.error();
    return seller_message{std::move(*rep)};
  }
  return bad("unknown type " + type.substr(0, 64));
}

}  // namespace hearth::protocols
