#include "actors/terminal_actor.hpp"

#include <caf/all.hpp>

#include "actors/blocking_stream.hpp"
#include "sandbox/terminal.hpp"

namespace hearth::actors {
namespace {

// How long the pump waits for a client to take one chunk before it stops
// sending (the shell's output then goes nowhere until it ends).
constexpr auto client_patience = std::chrono::seconds(300);

struct terminal_state {
  std::shared_ptr<sandbox::terminal> term;
  caf::actor_addr term_pump;  // the detached pump, once a client is attached
  static inline const char* name = "terminal";
};

using terminal_actor = terminal_type::stateful_pointer<terminal_state>;

// Blocks on the pty until the shell has ended and its output is drained.
void pump(caf::blocking_actor* self, std::shared_ptr<sandbox::terminal> term, terminal_client_type client) {
  blocking_stream<terminal_client_type> out(self->system(), client, client_patience);
  auto end = term->pump([&](std::string_view data) { out.send(std::string(data)); });
  caf::anon_send(client, ended_atom::value, static_cast<std::int32_t>(end.exit_code),
                 static_cast<std::int32_t>(end.signal));
}

terminal_type::behavior_type terminal_behavior(terminal_actor self, std::shared_ptr<sandbox::terminal> term,
                                               std::chrono::seconds attach_within) {
  self->state.term = std::move(term);
  auto running = terminal_type::behavior_type{
      [=](attach_atom, const terminal_client_type&) {},  // one client per terminal
      [=](input_atom, const std::string& keys) { (void)self->state.term->input(keys); },
      [=](resize_atom, std::uint16_t cols, std::uint16_t rows) { self->state.term->resize(cols, rows); },
      [=](hangup_atom) { self->state.term->hangup(); },
  };
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.term_pump) return self->quit();
    self->state.term->hangup();  // the client is gone
  });
  return {
      [=](attach_atom, terminal_client_type& client) {
        self->monitor(client);
        auto p = self->spawn<caf::monitored>(pump, self->state.term, client);
        self->state.term_pump = p.address();
        self->become(running);
      },
      [=](input_atom, const std::string& keys) { (void)self->state.term->input(keys); },
      [=](resize_atom, std::uint16_t cols, std::uint16_t rows) { self->state.term->resize(cols, rows); },
      [=](hangup_atom) {
        self->state.term->hangup();
        self->quit();
      },
      caf::after(attach_within) >> [=] {
        self->state.term->hangup();
        self->quit();
      },
  };
}

}  // namespace

terminal_type spawn_terminal_actor(caf::actor_system& sys, std::shared_ptr<sandbox::terminal> term,
                                   std::chrono::seconds attach_within) {
  return sys.spawn(terminal_behavior, std::move(term), attach_within);
}

}  // namespace hearth::actors
