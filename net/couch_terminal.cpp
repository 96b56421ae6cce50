#include "net/couch_terminal.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "actors/couch_registry.hpp"
#include "messages/couch.hpp"
#include "messages/interfaces.hpp"
#include "net/actor_ask.hpp"
#include "protocols/couch_bodies.hpp"

namespace hearth::net {
namespace {

using nlohmann::json;

// A terminal dimension from the query (1..1000), or fallback.
std::uint32_t dimension(const http_request& req, const char* name, std::uint32_t fallback) {
  std::string v = query_param(req.query, name);
  if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos) return fallback;
  auto n = static_cast<std::uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
  return n >= 1 && n <= 1000 ? n : fallback;
}

// The terminal's client: the socket's side of terminal_client_type. Detached:
// a send waits while the peer does not read, and so, through the
// acknowledgement, does the shell's output.
terminal_client_type::behavior_type socket_client(terminal_client_type::pointer self,
                                                  std::shared_ptr<websocket_channel> ch) {
  return {
      [=](output_atom, std::string& out) { return ch->send(std::move(out), true); },
      [=](ended_atom, std::int32_t exit_code, std::int32_t signal) {
        ch->send(json{{"type", "exit"}, {"exitCode", exit_code}, {"signal", signal}}.dump(), false);
        ch->close(1000, "the shell ended");
        self->quit();
      },
  };
}

// Keys (binary frames) and resizes (protocols::read_terminal_resize) to the
// terminal; a closed socket hangs up, which ends the shell.
std::shared_ptr<websocket_handler> terminal_socket(terminal_type term) {
  auto h = std::make_shared<websocket_handler>();
  h->on_open = [term](std::shared_ptr<websocket_channel> ch) {
    auto& sys = term->home_system();
    caf::anon_send(term, attach_atom::value, sys.spawn<caf::detached>(socket_client, std::move(ch)));
  };
  h->on_message = [term](std::string data, bool binary) {
    if (binary) return caf::anon_send(term, input_atom::value, std::move(data));
    if (auto size = protocols::read_terminal_resize(data)) caf::anon_send(term, resize_atom::value, size->cols, size->rows);
  };
  h->on_close = [term] { caf::anon_send(term, hangup_atom::value); };
  return h;
}

}  // namespace

void open_guest_terminal(caf::actor_system& sys, const http_request& req, responder respond, std::string token) {
  if (!req.websocket_upgrade) {
    respond(json_error(http_errc::upgrade_required, "open this endpoint as a WebSocket"));
    return;
  }
  std::uint32_t cols = dimension(req, "cols", 80), rows = dimension(req, "rows", 24);
  ask_actor<couch_registry_type, terminal_type>(
      sys, actors::couch_registry_key, std::move(respond),
      [](terminal_type& t) {
        http_response r;
        r.status = 101;
        r.upgrade = terminal_socket(std::move(t));
        return r;
      },
      terminal_atom::value, std::move(token), cols, rows);
}

}  // namespace hearth::net
