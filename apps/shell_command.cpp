#include "apps/shell_command.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "client/websocket_client.hpp"

namespace hearth::app {
namespace {

using nlohmann::json;

std::atomic<bool> resized{false};

// Restores the local terminal however the command ends.
struct raw_mode {
  termios saved{};
  bool active = false;
  raw_mode() {
    if (!::isatty(0) || ::tcgetattr(0, &saved) != 0) return;
    termios raw = saved;
    ::cfmakeraw(&raw);
    active = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~raw_mode() {
    if (active) ::tcsetattr(0, TCSANOW, &saved);
  }
};

std::pair<unsigned, unsigned> window_size() {
  winsize ws{};
  if (::isatty(1) && ::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) return {ws.ws_col, ws.ws_row};
  return {80, 24};
}

int run_shell(const std::string& node, const std::string& token) {
  if (token.empty()) {
    std::cerr << "hearth: give the guest token with --token or HEARTH_GUEST_TOKEN\n";
    return 2;
  }
  std::string base = node;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto [cols, rows] = window_size();
  auto ws = client::websocket_client::connect(
      base + "/couch/guest/terminal?cols=" + std::to_string(cols) + "&rows=" + std::to_string(rows),
      {{"Authorization", "Bearer " + token}}, std::chrono::seconds(30));
  if (!ws) {
    std::cerr << "hearth: " << ws.error().message << " [" << ws.error().code << "]\n";
    return 1;
  }
  auto& t = **ws;
  struct sigaction on_winch {};
  on_winch.sa_handler = [](int) { resized = true; };
  ::sigaction(SIGWINCH, &on_winch, nullptr);
  raw_mode raw;
  bool stdin_open = true;
  int status = 1;
  for (;;) {
    if (resized.exchange(false)) {
      auto [c, r] = window_size();
      t.send(json{{"type", "resize"}, {"cols", c}, {"rows", r}}.dump(), false);
    }
    pollfd in{0, POLLIN, 0};
    if (stdin_open && ::poll(&in, 1, 0) > 0) {
      char buf[4096];
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0) {
        t.send(std::string(buf, static_cast<std::size_t>(n)), true);
      } else {
        stdin_open = false;
        t.send("\x04", true);  // end of input: the shell sees end of file
      }
    }
    auto m = t.receive(std::chrono::milliseconds(stdin_open ? 20 : 500));
    if (!m) {
      if (t.closed()) break;
      continue;
    }
    if (m->binary) {
      std::cout.write(m->data.data(), static_cast<std::streamsize>(m->data.size()));
      std::cout.flush();
      continue;
    }
    auto control = json::parse(m->data, nullptr, false);
    if (control.is_object() && control.value("type", "") == "exit") {
      int sig = control.value("signal", 0);
      status = sig ? 128 + sig : control.value("exitCode", 1);
    }
  }
  return status;
}

}  // namespace

void add_shell_command(CLI::App& app, int& exit_code) {
  struct args {
    std::string node = "http://127.0.0.1:3000";
    std::string token;
  };
  auto a = std::make_shared<args>();
  if (const char* env = std::getenv("HEARTH_GUEST_TOKEN")) a->token = env;
  auto* shell = app.add_subcommand("shell", "Open a couch guest's terminal (a shell in its environment)");
  shell->add_option("--node", a->node, "The node's URL")->envname("HEARTH_NODE")->capture_default_str();
  shell->add_option("--token", a->token, "The guest token (or HEARTH_GUEST_TOKEN)");
  shell->callback([a, &exit_code] { exit_code = run_shell(a->node, a->token); });
}

}  // namespace hearth::app
