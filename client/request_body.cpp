#include "client/request_body.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "crypto/random.hpp"

namespace hearth::client {
namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// -d @file, -d text: curl strips newlines from @file for -d, not for --data-binary.
bool data_value(const std::string& arg, bool binary, std::string& out) {
  if (arg.empty() || arg[0] != '@') {
    out = arg;
    return true;
  }
  if (!read_file(arg.substr(1), out)) return false;
  if (!binary) out.erase(std::remove_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }), out.end());
  return true;
}

}  // namespace

result<built_body> build_body(const body_parts& a) {
  built_body b;
  if (!a.forms.empty()) {
    auto rnd = crypto::random_hex(12);
    if (!rnd) return fail(config_errc::bad_data, rnd.error().message);
    std::string boundary = "hearth-" + *rnd;
    for (const auto& f : a.forms) {
      auto eq = f.find('=');
      if (eq == std::string::npos) return fail(config_errc::bad_data, "-F takes name=value or name=@file");
      std::string name = f.substr(0, eq), value = f.substr(eq + 1), filename;
      if (!value.empty() && value[0] == '@') {
        filename = value.substr(1);
        if (!read_file(filename, value)) return fail(config_errc::bad_data, "cannot read " + filename);
        filename = filename.substr(filename.find_last_of('/') + 1);
      }
      b.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
      if (!filename.empty()) b.body += "; filename=\"" + filename + "\"\r\nContent-Type: application/octet-stream";
      b.body += "\r\n\r\n" + value + "\r\n";
    }
    b.body += "--" + boundary + "--\r\n";
    b.content_type = "multipart/form-data; boundary=" + boundary;
    return b;
  }
  std::vector<std::string> parts;
  for (const auto& d : a.data) {
    std::string v;
    if (!data_value(d, false, v)) return fail(config_errc::bad_data, "cannot read " + d.substr(1));
    parts.push_back(v);
  }
  for (const auto& d : a.data_binary) {
    std::string v;
    if (!data_value(d, true, v)) return fail(config_errc::bad_data, "cannot read " + d.substr(1));
    parts.push_back(v);
  }
  for (std::size_t i = 0; i < parts.size(); ++i) b.body += (i ? "&" : "") + parts[i];
  if (!parts.empty()) b.content_type = "application/x-www-form-urlencoded";
  return b;
}

std::string resolve_location(const std::string& base, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  auto scheme_end = base.find("://");
  auto path_start = base.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string origin = path_start == std::string::npos ? base : base.substr(0, path_start);
  if (!location.empty() && location[0] == '/') return origin + location;
  std::string dir = path_start == std::string::npos ? "/" : base.substr(path_start, base.rfind('/') - path_start + 1);
  return origin + dir + location;
}

}  // namespace hearth::client
