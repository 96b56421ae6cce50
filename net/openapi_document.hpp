// The OpenAPI 3.1 description of the node's HTTP API (net/openapi.json,
// embedded in the binary at build time), served at GET /openapi.json.
// tests/operators_test checks it against the routes the node serves.
#pragma once

#include <string_view>

namespace hearth::net {

std::string_view openapi_document();

}  // namespace hearth::net
