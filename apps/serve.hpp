// `hearth serve`: opens storage, starts the actor system and the supervision
// tree, waits for SIGINT/SIGTERM (or the tree giving up), then shuts down in
// order: drain HTTP, stop actors, flush storage.
#pragma once

#include "apps/node_config.hpp"

namespace hearth::app {

int run_serve(const node_config& config);

}  // namespace hearth::app
