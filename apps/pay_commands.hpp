// `hearth pay ledger [--export csv|json]` and `hearth pay status ID`: the
// node's settled receivables (per payer, network and asset, in token units)
// and payment records, read from a node over loopback HTTP.
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::app {

void add_pay_commands(CLI::App& app, int& exit_code);

}  // namespace hearth::app
