#include "protocols/cgi_head.hpp"

#include <cctype>

namespace hearth::protocols {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

// RFC 9110 §5.6.2: a field name is a token.
bool is_token(std::string_view s) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  for (unsigned char c : s)
    if (!std::isalnum(c) && extra.find(static_cast<char>(c)) == std::string_view::npos) return false;
  return !s.empty();
}

// A field value has no control character but HTAB (a bare CR or LF would
// let the program split the node's response).
bool is_field_value(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

bool three_digits(std::string_view v) {
  return v.size() >= 3 && std::isdigit(static_cast<unsigned char>(v[0])) &&
         std::isdigit(static_cast<unsigned char>(v[1])) && std::isdigit(static_cast<unsigned char>(v[2]));
}

}  // namespace

result<cgi_head> parse_cgi_head(std::string_view out) {
  cgi_head head;
  std::size_t pos = 0;
  bool has_type = false, has_location = false, has_status = false;
  for (;;) {
    auto nl = out.find('\n', pos);
    if (nl == std::string_view::npos)
      return fail(task_errc::bad_cgi_output, "the program's output has no header block (no blank line)");
    std::string_view line = out.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(task_errc::bad_cgi_output, "malformed CGI header line: " + std::string(line.substr(0, 80)));
    std::string_view name = line.substr(0, colon);
    if (!is_token(name) || !is_field_value(line.substr(colon + 1)))
      return fail(task_errc::bad_cgi_output, "malformed CGI header line (a name that is not a token, or a control "
                                             "character): " + std::string(line.substr(0, 80)));
    std::string value = trim(line.substr(colon + 1));
    if (iequals(name, "status")) {
      if (!three_digits(value)) return fail(task_errc::bad_cgi_output, "malformed Status header: " + value.substr(0, 40));
      head.status = static_cast<unsigned>(std::stoi(value.substr(0, 3)));
      if (head.status < 100 || head.status > 599) return fail(task_errc::bad_cgi_output, "Status out of range");
      has_status = true;
      continue;
    }
    has_type |= iequals(name, "content-type");
    has_location |= iequals(name, "location");
    head.headers.emplace_back(std::string(name), std::move(value));
  }
  if (has_location && !has_status) head.status = 302;
  if (!has_type && !has_location) head.headers.emplace_back("Content-Type", "text/plain");
  head.body_offset = pos;
  return head;
}

}  // namespace hearth::protocols
