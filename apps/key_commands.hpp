// `hearth key generate|derive|address|sha256`.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

// Adds the subcommands; a chosen one runs through its callback and sets exit_code.
void add_key_commands(CLI::App& app, int& exit_code);

}  // namespace hearth::app
