// A guest's shell on a pty, as an actor: it owns the terminal (the pty's
// master and the shell's process). Once its client is attached, a detached
// pump sends the shell's output to the client (acknowledged, so a client
// that does not read stops the shell's output, not the node) and, when the
// shell ends, its exit; the actor then quits. Keys and resizes go to the pty
// as they come. The shell is hung up when the client hangs up or is gone,
// or when no client attaches within attach_within.
//
// Interface: terminal_type (messages/couch.hpp).
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <memory>

#include "messages/couch.hpp"

namespace hearth::sandbox {
class terminal;
}

namespace hearth::actors {

terminal_type spawn_terminal_actor(caf::actor_system& sys, std::shared_ptr<sandbox::terminal> term,
                                   std::chrono::seconds attach_within = std::chrono::seconds(30));

}  // namespace hearth::actors
