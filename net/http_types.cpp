#include "net/http_types.hpp"

#include <nlohmann/json.hpp>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace hearth::net {

std::string_view find_header(const header_list& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), name.size()) == 0) return v;
  return {};
}

std::string_view http_request::header(std::string_view name) const { return find_header(headers, name); }

std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string out;
      auto raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') out += ' ';
        else if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
          out += static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        } else out += raw[i];
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::optional<std::uint32_t> page_limit(std::string_view query) {
  std::string text = query_param(query, "limit");
  if (text.empty()) return 100;
  if (text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  auto n = std::stoul(text);
  if (n == 0) return std::nullopt;
  return static_cast<std::uint32_t>(std::min(n, 1000ul));
}

http_response method_not_allowed(const http_request& req, const char* allow) {
  auto r = json_error(http_errc::method_not_allowed, req.method + " is not allowed on " + req.path);
  r.headers.emplace_back("Allow", allow);
  return r;
}

http_response json_response(unsigned status, const nlohmann::json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump() + "\n"};
}

std::string iso_time(std::int64_t ms) {
  if (ms <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

http_response json_error(error_code code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code_name(code)}, {"message", message}}}};
  return {http_status(code), {{"Content-Type", "application/json"}}, body.dump() + "\n"};
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool is_loopback_peer(const std::string& a) {
  return a.rfind("127.", 0) == 0 || a == "::1" || a.rfind("::ffff:127.", 0) == 0;
}

bool body_stream::push(std::string data) {
  std::function<void()> wake;
  {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return gone_ || pending_.size() < max_pending_; });
    if (gone_) return false;
    pending_ += data;
    wake = std::exchange(wake_, nullptr);
  }
  if (wake) wake();
  return true;
}

body_stream::fill body_stream::offer(std::string data, std::function<void()> on_room) {
  std::function<void()> wake;
  fill state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (gone_) return fill::gone;
    pending_ += data;
    wake = std::exchange(wake_, nullptr);
    state = pending_.size() < max_pending_ ? fill::room : fill::full;
    if (state == fill::full) on_room_ = std::move(on_room);
  }
  if (wake) wake();
  return state;
}

void body_stream::end(bool aborted) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    aborted_ = aborted;
    wake = std::exchange(wake_, nullptr);
  }
  if (wake) wake();
}

void body_stream::gone() {
  std::function<void()> on_room;
  {
    std::lock_guard<std::mutex> lock(mu_);
    gone_ = true;
    wake_ = nullptr;
    on_room = std::exchange(on_room_, nullptr);
  }
  room_.notify_all();
  if (on_room) on_room();
}

bool body_stream::take(std::string& out, bool& done, bool& aborted, std::function<void()> wake) {
  std::function<void()> on_room;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done = finished_;
    aborted = aborted_;
    if (pending_.empty() && !finished_) {
      wake_ = std::move(wake);
      return false;
    }
    out = std::exchange(pending_, std::string());
    on_room = std::exchange(on_room_, nullptr);
  }
  room_.notify_all();
  if (on_room) on_room();
  return true;
}

}  // namespace hearth::net
