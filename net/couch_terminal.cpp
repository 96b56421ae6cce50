#include "net/couch_terminal.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <thread>

#include "actors/couch_registry.hpp"
#include "messages/couch.hpp"
#include "net/actor_ask.hpp"
#include "sandbox/terminal.hpp"

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

std::shared_ptr<websocket_handler> terminal_socket(std::shared_ptr<sandbox::terminal> term) {
  auto h = std::make_shared<websocket_handler>();
  // The pump thread holds the channel and the terminal until the shell is
  // gone; a closed socket hangs up, which ends the shell and the thread.
  h->on_open = [term](std::shared_ptr<websocket_channel> ch) {
    std::thread([term, ch] {
      auto end = term->pump([&](std::string_view out) { ch->send(std::string(out), true); });
      ch->send(json{{"type", "exit"}, {"exitCode", end.exit_code}, {"signal", end.signal}}.dump(), false);
      ch->close(1000, "the shell ended");
    }).detach();
  };
  std::weak_ptr<sandbox::terminal> weak = term;
  h->on_message = [weak](std::string data, bool binary) {
    auto t = weak.lock();
    if (!t) return;
    if (binary) {
      t->input(data);
      return;
    }
    auto msg = json::parse(data, nullptr, false);
    if (msg.is_object() && msg.value("type", "") == "resize" && msg["cols"].is_number_unsigned() &&
        msg["rows"].is_number_unsigned() && msg["cols"] >= 1 && msg["cols"] <= 1000 && msg["rows"] >= 1 &&
        msg["rows"] <= 1000)
      t->resize(msg["cols"].get<std::uint16_t>(), msg["rows"].get<std::uint16_t>());
  };
  h->on_close = [weak] {
    if (auto t = weak.lock()) t->hangup();
  };
  return h;
}

}  // namespace

void open_guest_terminal(caf::actor_system& sys, const http_request& req, responder respond, std::string token) {
  if (!req.websocket_upgrade) {
    respond(json_error(http_errc::upgrade_required, "open this endpoint as a WebSocket"));
    return;
  }
  std::uint32_t cols = dimension(req, "cols", 80), rows = dimension(req, "rows", 24);
  ask_actor<terminal_handle>(
      sys, actors::couch_registry_key, std::move(respond),
      [](terminal_handle& t) {
        http_response r;
        r.status = 101;
        r.upgrade = terminal_socket(std::move(t.term));
        return r;
      },
      terminal_atom::value, std::move(token), cols, rows);
}

}  // namespace hearth::net
