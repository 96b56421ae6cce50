#include "net/http_types.hpp"

#include <nlohmann/json.hpp>
#include <strings.h>

namespace hearth::net {

std::string_view http_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), name.size()) == 0) return v;
  return {};
}

http_response json_error(unsigned status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return {status, {{"Content-Type", "application/json"}}, body.dump() + "\n"};
}

}  // namespace hearth::net
