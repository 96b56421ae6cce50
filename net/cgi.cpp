#include "net/cgi.hpp"

#include "protocols/cgi_head.hpp"

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
  auto head = protocols::parse_cgi_head(out);
  if (!head) return head.error();
  http_response res;
  res.status = head->status;
  for (auto& h : head->headers) res.headers.emplace_back(std::move(h.first), std::move(h.second));
  return std::make_pair(std::move(res), head->body_offset);
}

std::shared_ptr<body_stream> start_cgi_stream(const responder& respond, const header_list& extra_headers,
                                              const std::string& task_id, std::string_view first, std::string& rest) {
  auto head = parse_cgi_head(first);
  if (!head) return nullptr;
  http_response res = std::move(head->first);
  res.headers.emplace_back("X-Hearth-Task", "id=" + task_id + "; streamed");
  res.headers.insert(res.headers.end(), extra_headers.begin(), extra_headers.end());
  auto body = std::make_shared<body_stream>();
  res.stream = body;
  rest.assign(first.substr(head->second));
  respond(std::move(res));
  return body;
}

}  // namespace hearth::net
