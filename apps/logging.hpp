// spdlog set-up: one stderr logger, key=value messages, quiet by default.
#pragma once

#include <string>

namespace hearth::app {

// verbosity: number of -v flags (debug, trace); quiet: -q (warnings only).
// Either overrides level ("info" unless configured otherwise).
void setup_logging(const std::string& level, int verbosity, bool quiet);

}  // namespace hearth::app
