// `hearth offer`: builds an offer for an executable, signs it with the
// owner's key and uploads it (or prints it signed, without --upload).
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_offer_command(CLI::App& app, int& exit_code);

}  // namespace hearth::app
