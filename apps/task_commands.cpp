#include "apps/task_commands.hpp"

#include <unistd.h>

#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "crypto/base64.hpp"
#include "net/http_client.hpp"

namespace hearth::app {
namespace {

using nlohmann::json;

struct node_target {
  std::string url = "http://127.0.0.1:3000";
  bool json_out = false;
};

void add_target(CLI::App* cmd, node_target& t) {
  cmd->add_option("--node", t.url, "Node URL")->envname("HEARTH_NODE")->capture_default_str();
  cmd->add_flag("--json", t.json_out, "Print JSON");
}

// GET or POST; prints the node's error and returns 1 when the answer is not 2xx.
int fetch(const node_target& t, const std::string& method, const std::string& path, const std::string& body,
          std::string& out) {
  std::string base = t.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  net::client_request req{method, base + path, {}, body, std::chrono::seconds(3700), nullptr};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auto res = net::send_request(req);
  if (!res) {
    std::cerr << "hearth: " << res.error().message << " [" << res.error().code << "]\n";
    return 1;
  }
  out = res->body;
  if (res->status >= 200 && res->status < 300) return 0;
  auto j = json::parse(res->body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object())
    std::cerr << "hearth: " << j["error"].value("message", "") << " [" << j["error"].value("code", "") << "]\n";
  else std::cerr << "hearth: the node answered " << res->status << "\n";
  return 1;
}

void print_task_line(const json& t) {
  std::cout << t.value("id", "") << "  " << t.value("state", "") << "  " << t.value("ending", "")
            << "  exit=" << t.value("exit_code", 0) << "  offer=" << t.value("offer", "").substr(0, 12) << "\n";
}

}  // namespace

void add_task_commands(CLI::App& app, int& exit_code) {
  auto* task = app.add_subcommand("task", "Inspect tasks on a node")->require_subcommand(1);
  auto t = std::make_shared<node_target>();
  auto id = std::make_shared<std::string>();

  auto* list = task->add_subcommand("list", "List tasks");
  add_target(list, *t);
  list->callback([t, &exit_code] {
    std::string body;
    if ((exit_code = fetch(*t, "GET", "/tasks?limit=100", "", body)) != 0) return;
    if (t->json_out) return void(std::cout << body);
    json listing = json::parse(body);
    for (const auto& item : listing["tasks"]) print_task_line(item);
  });

  auto* status = task->add_subcommand("status", "A task's state, ending and usage");
  status->add_option("id", *id, "Task id")->required();
  add_target(status, *t);
  status->callback([t, id, &exit_code] {
    std::string body;
    if ((exit_code = fetch(*t, "GET", "/tasks/" + *id, "", body)) != 0) return;
    if (t->json_out) return void(std::cout << body);
    std::cout << json::parse(body).dump(2) << "\n";
  });

  for (const char* stream : {"stdout", "stderr"}) {
    auto* cmd = task->add_subcommand(stream, std::string("A task's ") + stream);
    cmd->add_option("id", *id, "Task id")->required();
    add_target(cmd, *t);
    cmd->callback([t, id, stream, &exit_code] {
      std::string body;
      if ((exit_code = fetch(*t, "GET", "/tasks/" + *id + "/" + stream, "", body)) == 0) std::cout << body;
    });
  }

  auto* health = task->add_subcommand("health", "The node's health");
  add_target(health, *t);
  health->callback([t, &exit_code] {
    std::string body;
    if ((exit_code = fetch(*t, "GET", "/health", "", body)) == 0) std::cout << body;
  });

  auto* run = app.add_subcommand("run", "Run a batch offer: arguments and stdin in, its output out");
  auto offer = std::make_shared<std::string>();
  auto args = std::make_shared<std::vector<std::string>>();
  auto r = std::make_shared<node_target>();
  run->add_option("offer", *offer, "Offer hash")->required();
  run->add_option("args", *args, "Arguments for the program (after --)");
  add_target(run, *r);
  run->callback([r, offer, args, &exit_code] {
    json req = {{"offer", *offer}, {"args", *args}};
    if (!::isatty(0)) req["stdin_base64"] = crypto::base64_encode(std::string(std::istreambuf_iterator<char>(std::cin), {}));
    std::string body;
    int rc = fetch(*r, "POST", "/tasks", req.dump(), body);
    auto j = json::parse(body, nullptr, false);
    if (rc != 0 && !j.contains("id")) return void(exit_code = rc);
    if (r->json_out) {
      std::cout << body;
    } else {
      std::cout << *crypto::base64_decode(j.value("stdout_base64", ""));
      std::cerr << *crypto::base64_decode(j.value("stderr_base64", ""));
      std::cerr << "task " << j.value("id", "") << " " << j.value("ending", "") << " exit=" << j.value("exit_code", 0) << "\n";
    }
    exit_code = j.value("ending", "") == "exited" ? j.value("exit_code", 0) : 1;
  });
}

}  // namespace hearth::app
