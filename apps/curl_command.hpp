// `hearth curl URL`: curl's common flags plus automatic x402 payment. On a
// 402 it picks a requirement by --pay, refuses one above --max, signs with
// --key, retries once and (with -v) prints the receipt. Amounts are shown
// in token units.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_curl_command(CLI::App& app, int& exit_code);

}  // namespace hearth::app
