// `hearth offer`: builds an offer for an executable, signs it with the
// owner's key and uploads it (or prints it signed, without --upload).
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_offer_command(CLI::App& app, int& exit_code);

// "0.001" USDC -> 1000 atomic units; at most 6 decimals.
bool parse_usdc(const std::string& text, std::uint64_t& atomic);

}  // namespace hearth::app
