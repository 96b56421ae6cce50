// `hearth job submit|list|status|cancel|extend|ssh`: a buyer's side of the
// marketplace. A submitted job's token is kept in the jobs directory (one
// 0600 file per job), so later commands need only the job's id; `hearth
// job ssh ID` runs the system's ssh with the job's host key pinned.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_job_commands(CLI::App& app, int& exit_code);

}  // namespace hearth::app
