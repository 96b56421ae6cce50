// Chunks from a thread that may block (a task's sandboxed run, a guest's
// command, a terminal's pump) to a stream actor, one at a time: each waits
// for the stream's answer (true: go on), which is the backpressure of every
// stream interface in messages/ (stdout_stream_type, exec_stream_type,
// terminal_client_type). Once the stream says stop, is gone, or does not
// answer within patience, later chunks are dropped; the producer runs on.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <memory>
#include <utility>

#include "messages/atoms.hpp"

namespace hearth::actors {

template <class Handle>
class blocking_stream {
 public:
  blocking_stream(caf::actor_system& sys, Handle stream, std::chrono::seconds patience)
      : sys_(sys), stream_(std::move(stream)), patience_(patience) {}

  explicit operator bool() const { return static_cast<bool>(stream_); }

  // Sends (output_atom, xs...) and waits for the answer.
  template <class... Ts>
  void send(Ts&&... xs) {
    if (!stream_) return;
    if (!self_) self_ = std::make_unique<caf::scoped_actor>(sys_);
    bool more = false;
    (*self_)->request(stream_, patience_, output_atom::value, std::forward<Ts>(xs)...)
        .receive([&](bool go_on) { more = go_on; }, [&](caf::error&) { more = false; });
    if (!more) stream_ = Handle{};
  }

 private:
  caf::actor_system& sys_;
  Handle stream_;
  std::chrono::seconds patience_;
  std::unique_ptr<caf::scoped_actor> self_;
};

}  // namespace hearth::actors
