// `hearth task list|status|stdout|stderr|health` and `hearth run` against a node.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_task_commands(CLI::App& app, int& exit_code);

}  // namespace hearth::app
