// The header block a CGI program writes before its body (RFC 3875 §6.2):
// its status, its header fields and where the body starts. Plain parsing,
// shared by the HTTP edge (which answers with it) and the call actor (whose
// charging rule is "the handler answered below 400").
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/result.hpp"

namespace hearth::protocols {

struct cgi_head {
  unsigned status = 200;  // Status:, else 302 with a Location, else 200
  std::vector<std::pair<std::string, std::string>> headers;  // in order, Status left out; Content-Type added when missing
  std::size_t body_offset = 0;  // where the body starts in the program's output
};

// Fails with bad_cgi_output when there is no blank line ending the block,
// a header line is malformed, or Status is not a three-digit code.
result<cgi_head> parse_cgi_head(std::string_view output);

}  // namespace hearth::protocols
