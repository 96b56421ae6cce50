#include "net/cgi.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

namespace hearth::net {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  return true;
}

bool withheld(std::string_view name) {
  static const char* exact[] = {"x-payment", "payment-signature", "proxy", "content-type", "content-length"};
  for (const char* e : exact)
    if (name.size() == std::strlen(e) && iequals_prefix(name, e)) return true;
  return iequals_prefix(name, "x-402-");
}

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

}  // namespace

task_input cgi_input(const http_request& req, const cgi_context& ctx) {
  std::map<std::string, std::string> env = {
      {"GATEWAY_INTERFACE", "CGI/1.1"},
      {"SERVER_PROTOCOL", req.version == 10 ? "HTTP/1.0" : "HTTP/1.1"},
      {"SERVER_SOFTWARE", "hearth/" HEARTH_VERSION},
      {"SERVER_NAME", ctx.server_name},
      {"SERVER_PORT", ctx.server_port},
      {"REQUEST_METHOD", req.method},
      {"SCRIPT_NAME", "/" + ctx.offer_hash + ".cgi"},
      {"PATH_INFO", ctx.path_info.empty() ? "/" : ctx.path_info},
      {"QUERY_STRING", req.query},
      {"REQUEST_URI", req.target},
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
  };
  std::uint64_t length = req.body_file.empty() ? req.body.size() : req.body_file_size;
  if (length > 0 || !req.header("Content-Length").empty()) env["CONTENT_LENGTH"] = std::to_string(length);
  if (auto ct = req.header("Content-Type"); !ct.empty()) env["CONTENT_TYPE"] = std::string(ct);
  for (const auto& [name, value] : req.headers) {
    if (withheld(name)) continue;
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
      continue;
    std::string key = "HTTP_";
    for (char c : name) key += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto [it, fresh] = env.emplace(key, value);
    if (!fresh) it->second += ", " + value;  // repeated headers, joined as RFC 3875 asks
  }
  task_input in;
  for (auto& [k, v] : env) in.env.push_back(k + "=" + v);
  in.private_env = {"REMOTE_ADDR=" + req.remote_address, "REMOTE_PORT=" + std::to_string(req.remote_port)};
  in.stdin_data = req.body;
  in.stdin_file = req.body_file;
  return in;
}

result<http_response> parse_cgi_output(const std::string& out) {
  auto head = parse_cgi_head(out);
  if (!head) return head.error();
  head->first.body = out.substr(head->second);
  return std::move(head->first);
}

result<std::pair<http_response, std::size_t>> parse_cgi_head(std::string_view out) {
  std::size_t pos = 0;
  http_response res;
  bool has_type = false, has_location = false, has_status = false;
  for (;;) {
    auto nl = out.find('\n', pos);
    if (nl == std::string::npos) return fail(task_errc::bad_cgi_output, "the program's output has no header block (no blank line)");
    std::string line(out.substr(pos, nl - pos));
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
      return fail(task_errc::bad_cgi_output, "malformed CGI header line: " + line.substr(0, 80));
    std::string name = line.substr(0, colon);
    std::string value = trim(line.substr(colon + 1));
    if (iequals_prefix(name, "status") && name.size() == 6) {
      if (value.size() < 3 || !std::isdigit(static_cast<unsigned char>(value[0])) ||
          !std::isdigit(static_cast<unsigned char>(value[1])) || !std::isdigit(static_cast<unsigned char>(value[2])))
        return fail(task_errc::bad_cgi_output, "malformed Status header: " + value.substr(0, 40));
      res.status = static_cast<unsigned>(std::stoi(value.substr(0, 3)));
      if (res.status < 100 || res.status > 599) return fail(task_errc::bad_cgi_output, "Status out of range");
      has_status = true;
      continue;
    }
    has_type |= iequals_prefix(name, "content-type") && name.size() == 12;
    has_location |= iequals_prefix(name, "location") && name.size() == 8;
    res.headers.emplace_back(name, value);
  }
  if (has_location && !has_status) res.status = 302;
  if (!has_type && !has_location) res.headers.emplace_back("Content-Type", "text/plain");
  return std::make_pair(std::move(res), pos);
}

cgi_streamer::cgi_streamer(responder respond, header_list extra_headers, std::size_t stream_after)
    : respond_(std::move(respond)), extra_(std::move(extra_headers)), stream_after_(stream_after) {}

void cgi_streamer::write(const std::string& task_id, std::string_view data) {
  if (refused_) return;
  if (body_) {
    body_->push(std::string(data));  // false once the client is gone: the task still finishes
    return;
  }
  held_.append(data);
  if (held_.size() < stream_after_) return;
  auto head = parse_cgi_head(held_);
  if (!head) {
    refused_ = true;
    std::string().swap(held_);
    return;
  }
  http_response res = std::move(head->first);
  res.headers.emplace_back("X-Hearth-Task", "id=" + task_id + "; streamed");
  res.headers.insert(res.headers.end(), extra_.begin(), extra_.end());
  body_ = std::make_shared<body_stream>();
  res.stream = body_;
  std::string rest = held_.substr(head->second);
  std::string().swap(held_);
  started_ = true;
  respond_(std::move(res));
  if (!rest.empty()) body_->push(std::move(rest));
}

void cgi_streamer::end(bool whole) {
  if (!body_) return;
  if (whole) body_->finish();
  else body_->abort();
}

}  // namespace hearth::net
