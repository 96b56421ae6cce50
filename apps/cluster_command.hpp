// `hearth cluster ca|cert`: the cluster's private CA and each node's
// certificate, the identities cluster nodes authenticate each other with.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_cluster_commands(CLI::App& app, int& exit_code);

}  // namespace hearth::app
