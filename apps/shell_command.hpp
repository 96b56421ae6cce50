// `hearth shell`: a couch guest's terminal. Connects to the node's WebSocket
// terminal with the guest token, puts a local terminal in raw mode (and
// passes on its size as it changes), or pipes stdin when it is not a
// terminal (Ctrl-D at its end). Exits with the remote shell's status.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_shell_command(CLI::App& app, int& exit_code);

}  // namespace hearth::app
