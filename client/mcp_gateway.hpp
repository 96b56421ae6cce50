// `hearth mcp serve`: an MCP server on stdio for AI clients (Claude Desktop
// and others) that re-exports the tools of remote MCP servers (hearth nodes'
// POST /mcp, or any Streamable HTTP MCP server) and plain HTTP tools, and
// pays priced calls with x402 within a budget. Newline-delimited JSON-RPC on
// stdin/stdout (stdout carries only protocol; logs go to stderr).
//
// Remote tool definitions are validated and repaired before re-export (a
// name of 1-64 [A-Za-z0-9_.-], unique; an object inputSchema; an
// outputSchema only when its root is an object), and results are checked
// against them (structuredContent valid, none on errors), since one bad
// tool or result breaks a strict client. Over-budget calls are isError
// results, never silent charges: a call reserves its price before it signs
// (so calls in flight together never exceed the budget) and gives it back
// when the server did not charge. The session tool `hearth_session` reports
// budget, spend history and limits.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "crypto/secp256k1_key.hpp"
#include "payments/buyer.hpp"

namespace hearth::client {

struct gateway_config {
  std::vector<std::string> servers;  // MCP endpoints (hearth nodes: their base URL)
  std::string manifest_path;         // optional JSON: {"mcp": [URL...], "http": [{name, description, url, input_schema?}]}
  std::optional<crypto::private_key> key;
  std::vector<payments::preference> prefs;
  crypto::uint256 budget{};          // USDC atomic units the session may spend
  std::uint64_t max_line_bytes = 10u << 20;
};

// Serves until EOF on in; returns the process exit code.
int run_gateway(const gateway_config& config, std::istream& in, std::ostream& out);

}  // namespace hearth::client
