// Request bodies as curl builds them (`hearth curl`): -F name=value or
// name=@file as multipart/form-data, -d (newlines of an @file dropped) and
// --data-binary joined with & as application/x-www-form-urlencoded; and a
// redirect's Location resolved against the URL it came from.
#pragma once

#include <string>
#include <vector>

#include "messages/result.hpp"

namespace hearth::client {

struct body_parts {
  std::vector<std::string> data, data_binary, forms;  // -d, --data-binary, -F, in order given
};

struct built_body {
  std::string body;
  std::string content_type;  // empty: no body
};

// Fails with bad_data when a file cannot be read or a -F is not name=value.
result<built_body> build_body(const body_parts& parts);

std::string resolve_location(const std::string& base_url, const std::string& location);

}  // namespace hearth::client
