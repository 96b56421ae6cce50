// `hearth sandbox [limits] -- CMD ARGS`: a local command under the node's sandbox.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_sandbox_command(CLI::App& app, int& exit_code);

}  // namespace hearth::app
