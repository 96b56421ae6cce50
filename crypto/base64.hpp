// Standard base64 with padding (RFC 4648 section 4), strict on decode: the
// alphabet x402 and hearth headers use. base64url input is rejected.
#pragma once

#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace hearth::crypto {

std::string base64_encode(std::string_view data);
result<std::string> base64_decode(std::string_view text);

}  // namespace hearth::crypto
