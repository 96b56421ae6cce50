// `hearth seller --hub URL`: this machine as a marketplace seller, until
// SIGINT or SIGTERM (its jobs' environments end with it).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace hearth::app {

// logging: sets up the log as the global flags say (-v, -q, --log-level).
void add_seller_command(CLI::App& app, int& exit_code, std::function<void()> logging);

}  // namespace hearth::app
