#include "net/task_routes.hpp"

#include <nlohmann/json.hpp>

#include "actors/task_registry.hpp"
#include "crypto/base64.hpp"
#include "crypto/sha256.hpp"
#include "net/actor_ask.hpp"
#include "net/call_edge.hpp"
#include "net/cgi.hpp"
#include "net/owner_auth.hpp"
#include "net/x402_edge.hpp"
#include "sandbox/limits.hpp"
#include "storage/task_codec.hpp"

#include <fstream>
#include <thread>

namespace hearth::net {
namespace {

using nlohmann::json;

const char* state_name(task_state s) {
  switch (s) {
    case task_state::pending: return "pending";
    case task_state::running: return "running";
    case task_state::completed: return "completed";
    case task_state::failed: return "failed";
  }
  return "unknown";
}

const header_list cors_headers = {
    {"Access-Control-Allow-Origin", "*"},
    {"Access-Control-Expose-Headers", "X-Hearth-Task, X-Hearth-Task-Token, X-Hearth-Output-Signature, PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE"},
};

std::string output_dir(const node_info& info) { return storage::task_output_dir(info.data_dir); }

// A file's content from offset on as a chunked body, read a slice at a time
// on a thread of its own (the client's pace sets the reading's).
std::shared_ptr<body_stream> stream_file(const std::string& path, std::uint64_t offset) {
  auto body = std::make_shared<body_stream>();
  std::thread([body, path, offset] {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string chunk(64 * 1024, '\0');
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      auto n = static_cast<std::size_t>(in.gcount());
      if (n > 0 && !body->push(chunk.substr(0, n))) return;
    }
    if (in.eof()) body->finish();
    else body->abort();
  }).detach();
  return body;
}

// A finished CGI call's answer: the handler's response, or the refusal its
// verdict names when it gave none (a limit, a crash, output that is not CGI).
http_response cgi_response(const call_result& r, const node_info& info) {
  const auto& t = r.task;
  http_response res;
  if (r.verdict.refused) {
    res = json_error(r.verdict.code, r.verdict.message);
  } else if (t.stdout_spilled) {  // the head from the file's start, the body streamed from the file
    auto head = parse_cgi_head(storage::task_stdout(t, output_dir(info), 64 * 1024));
    if (head) {
      res = std::move(head->first);
      res.stream = stream_file(storage::task_output_file(output_dir(info), t.id), head->second);
    } else {
      res = failure_response(head.error());
    }
  } else {
    auto parsed = parse_cgi_output(t.stdout_data);
    res = parsed ? std::move(*parsed) : failure_response(parsed.error());
  }
  res.headers.emplace_back("X-Hearth-Task", task_header(t));
  if (t.output_signature.size() == 65)
    res.headers.emplace_back("X-Hearth-Output-Signature",
                             "0x" + crypto::to_hex(std::string_view(t.output_signature)));
  res.headers.insert(res.headers.end(), cors_headers.begin(), cors_headers.end());
  return res;
}

http_response unauthorized_task() {
  return json_error(http_errc::unauthorized,
                    "a task is readable by the owner (host token or owner signature) and by whoever started it "
                    "(its X-Hearth-Task-Token)");
}

// POST /tasks {"offer": HASH, "args": [...], "env": {NAME: value}, "stdin_base64": "...", "duration_secs": N}:
// runs a batch offer.
void run_batch(caf::actor_system& sys, const node_info& info, const http_request& req, responder respond) {
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("offer") || !body["offer"].is_string())
    return respond(json_error(http_errc::bad_request, "send JSON {\"offer\": HASH, \"args\": [...], \"stdin_base64\": ...}"));
  task_input in;
  if (body.contains("args")) {
    if (!body["args"].is_array()) return respond(json_error(http_errc::bad_request, "args is an array of strings"));
    for (const auto& a : body["args"]) {
      if (!a.is_string()) return respond(json_error(http_errc::bad_request, "args is an array of strings"));
      in.args.push_back(a.get<std::string>());
    }
  }
  if (body.contains("stdin_base64")) {
    auto decoded = body["stdin_base64"].is_string() ? crypto::base64_decode(body["stdin_base64"].get<std::string>())
                                                    : result<std::string>(fail(crypto_errc::bad_base64, ""));
    if (!decoded) return respond(json_error(http_errc::bad_request, "stdin_base64 is standard base64"));
    in.stdin_data = std::move(*decoded);
  }
  if (body.contains("env")) {
    const auto& env = body["env"];
    bool ok = env.is_object() && env.size() <= 256;
    for (auto it = ok ? env.begin() : env.end(); ok && it != env.end(); ++it) {
      const auto& name = it.key();
      ok = it->is_string() && !name.empty() && name.find('=') == std::string::npos &&
           name.find('\0') == std::string::npos && it->get_ref<const std::string&>().find('\0') == std::string::npos;
      if (ok) in.caller_env.push_back(name + "=" + it->get<std::string>());
    }
    if (!ok) return respond(json_error(http_errc::bad_request, "env is an object of at most 256 NAME: \"value\" strings"));
  }
  auto duration = requested_duration(req);
  if (!duration) return respond(failure_response(duration.error()));
  in.duration_secs = *duration;
  if (body.contains("duration_secs")) {
    if (!body["duration_secs"].is_number_unsigned() || body["duration_secs"] == 0)
      return respond(json_error(http_errc::bad_request, "duration_secs is a whole number of seconds, at least 1"));
    in.duration_secs = body["duration_secs"].get<std::uint64_t>();
  }
  in.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"};
  call_request call{body["offer"].get<std::string>(), offer_mode::batch, std::move(in), read_call_payment(req), {}, {}};
  bool browser = wants_payment_page(req);
  call_offer(sys, std::move(call), std::move(respond), [info, browser](const result<call_result>& r) {
    return call_http_answer(r, browser, [&info](const call_result& done) {
      const auto& t = done.task;
      json j = task_to_json(t, info);
      j["stdout_base64"] = crypto::base64_encode(task_stdout(t, info));
      j["stderr_base64"] = crypto::base64_encode(t.stderr_data);
      return json_response(t.state == task_state::completed ? 200 : 502, j);
    });
  });
}

}  // namespace

http_response call_http_answer(const result<call_result>& r, bool browser,
                               const std::function<http_response(const call_result&)>& mode_answer) {
  if (!r) return failure_response(r.error());
  if (r->payment_required)
    return challenge_response(to_requirements(r->options), r->challenge_error, browser && r->challenge_error.empty());
  http_response res = mode_answer(*r);
  if (res.header("X-Hearth-Task").empty()) res.headers.emplace_back("X-Hearth-Task", task_header(r->task));
  if (!r->read_token.empty()) res.headers.emplace_back(task_token_header, r->read_token);
  if (r->has_receipt) add_receipt(res, r->receipt);
  return res;
}

std::string task_stdout(const task_record& t, const node_info& info) {
  return storage::task_stdout(t, output_dir(info));
}

std::string task_header(const task_record& t) {
  char usage[160];
  std::snprintf(usage, sizeof usage, "; cpu_secs=%.3f; wall_secs=%.3f; peak_memory_bytes=%llu", t.cpu_secs,
                t.wall_secs, static_cast<unsigned long long>(t.peak_memory_bytes));
  return "id=" + t.id + usage + (t.cache_hit ? "; cache=hit" : "");
}

json task_to_json(const task_record& t, const node_info& info) {
  return {
      {"id", t.id},
      {"offer", t.offer_hash},
      {"input_hash", t.input_hash},
      {"state", state_name(t.state)},
      {"ending", sandbox::to_string(static_cast<sandbox::ending>(t.ending))},
      {"exit_code", t.exit_code},
      {"signal", t.signal},
      {"usage", {{"cpu_secs", t.cpu_secs}, {"wall_secs", t.wall_secs}, {"peak_memory_bytes", t.peak_memory_bytes}}},
      {"created_at_ms", t.created_at_ms},
      {"finished_at_ms", t.finished_at_ms},
      {"stdout_bytes", t.stdout_size},
      {"stderr_bytes", t.stderr_data.size()},
      {"output_signature",
       t.output_signature.empty()
           ? json(nullptr)
           : json("0x" + crypto::to_hex(std::string_view(t.output_signature)))},
      {"signer", info.node_address},
      {"error", t.error},
  };
}

bool route_tasks(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond) {
  if (req.path != "/tasks" && req.path.rfind("/tasks/", 0) != 0) return false;
  if (req.path == "/tasks" && req.method == "POST") {
    run_batch(sys, info, req, std::move(respond));
    return true;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    respond(method_not_allowed(req, "GET, HEAD"));
    return true;
  }
  bool owner = is_owner(req, info);
  if (req.path == "/tasks") {
    if (!owner) {
      respond(json_error(http_errc::unauthorized, "listing tasks is the owner's: send the host token or an owner signature"));
      return true;
    }
    auto page = page_limit(req.query);
    if (!page) {
      respond(json_error(http_errc::bad_query, "limit is a number from 1 to 1000"));
      return true;
    }
    std::uint32_t limit = *page;
    ask_actor<task_registry_type, std::vector<task_record>>(
        sys, actors::task_registry_key, std::move(respond),
        [info, limit](std::vector<task_record>& tasks) {
          json items = json::array();
          for (const auto& t : tasks) items.push_back(task_to_json(t, info));
          json next = tasks.size() == limit ? json(tasks.back().id) : json(nullptr);
          return json_response(200, {{"tasks", items}, {"next", next}});
        },
        list_atom::value, query_param(req.query, "after"), limit);
    return true;
  }
  std::string rest = req.path.substr(7);
  std::string id = rest.substr(0, rest.find('/'));
  std::string part = rest.size() > id.size() ? rest.substr(id.size() + 1) : "";
  if (!part.empty() && part != "stdout" && part != "stderr") {
    respond(json_error(http_errc::not_found, "no such endpoint"));
    return true;
  }
  std::string token(req.header(task_token_header));
  if (token.empty()) token = query_param(req.query, "token");
  if (!owner && token.empty()) {
    respond(unauthorized_task());
    return true;
  }
  auto answer = [info, part](task_record& t) {
    if (part.empty()) return json_response(200, task_to_json(t, info));
    http_response r{200,
                    {{"Content-Type", "application/octet-stream"}, {"X-Hearth-Task", task_header(t)}},
                    part == "stdout" ? t.stdout_data : t.stderr_data};
    if (part == "stdout" && t.stdout_spilled)
      r.stream = stream_file(storage::task_output_file(output_dir(info), t.id), 0);
    return r;
  };
  if (owner)
    ask_actor<task_registry_type, task_record>(sys, actors::task_registry_key, std::move(respond), std::move(answer),
                                               get_atom::value, id);
  else
    ask_actor<task_registry_type, task_record>(sys, actors::task_registry_key, std::move(respond), std::move(answer),
                                               get_atom::value, id, token);
  return true;
}

bool is_cgi_path(std::string_view path) {
  // /{64 hex}.cgi or /{64 hex}.cgi/...
  if (path.size() < 69 || path.compare(65, 4, ".cgi") != 0 || (path.size() > 69 && path[69] != '/')) return false;
  return crypto::is_hash_hex(path.substr(1, 64));
}

bool route_cgi(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond) {
  if (!is_cgi_path(req.path)) return false;
  std::string hash = req.path.substr(1, 64);
  if (req.method == "OPTIONS") {
    http_response r{204, cors_headers, ""};
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "*, Authorization, Content-Type, PAYMENT-SIGNATURE, X-PAYMENT, X-402-Pay, X-402-Max");
    r.headers.emplace_back("Access-Control-Max-Age", "86400");
    respond(std::move(r));
    return true;
  }
  cgi_context ctx{hash, req.path.substr(69), "", ""};
  std::string host(req.header("Host"));
  auto colon = host.rfind(':');
  ctx.server_name = colon == std::string::npos ? host : host.substr(0, colon);
  ctx.server_port = colon == std::string::npos ? "80" : host.substr(colon + 1);
  auto duration = requested_duration(req);
  if (!duration) {
    respond(failure_response(duration.error()));
    return true;
  }
  call_request call{hash, offer_mode::cgi, cgi_input(req, ctx), read_call_payment(req), {}, {}};
  call.input.duration_secs = *duration;
  bool browser = wants_payment_page(req);
  call_offer(
      sys, std::move(call), std::move(respond),
      [info, browser](const result<call_result>& r) {
        return call_http_answer(r, browser, [&info](const call_result& done) { return cgi_response(done, info); });
      },
      cors_headers);
  return true;
}

}  // namespace hearth::net
