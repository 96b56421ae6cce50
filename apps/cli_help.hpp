// What the CLI says about itself: an example on every command's --help, the
// exit codes (one table, in `hearth --help` and the README), `--json` on the
// listing and status commands whose output is JSON already (so scripts can
// pass it everywhere), and `hearth completion bash`, generated from the
// command tree so it never falls behind it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace hearth::app {

// After every command is added: examples, the --json flags, the exit codes.
void describe_commands(CLI::App& app);

// `hearth completion bash`.
void add_completion_command(CLI::App& app);

// The bash completion script for app's commands and options.
std::string bash_completion(CLI::App& app);

// The exit codes table (markdown rows), as the README shows it.
std::string exit_code_table();

}  // namespace hearth::app
