// `hearth invite create|list|revoke`, `hearth guest list|status|kill` (the
// host, with the couch host token) and `hearth redeem CODE --name N` (a guest).
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_couch_commands(CLI::App& app, int& exit_code);

}  // namespace hearth::app
