// `hearth mcp list --@ URL` and `hearth mcp call TOOL -a k=v [--json '{}'] --@ URL
// --key @file [--max ...]`: a node's MCP tools from the command line, paying
// priced calls with x402 in params._meta within --max.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_mcp_commands(CLI::App& app, int& exit_code);

}  // namespace hearth::app
