#include "net/task_routes.hpp"

#include <nlohmann/json.hpp>

#include "actors/offer_registry.hpp"
#include "actors/offer_validation.hpp"
#include "actors/task_registry.hpp"
#include "messages/clock.hpp"
#include "messages/node_messages.hpp"
#include "net/actor_ask.hpp"
#include "net/cgi.hpp"
#include "net/offer_json.hpp"
#include "net/owner_auth.hpp"
#include "net/paywall.hpp"
#include "payments/challenge.hpp"
#include "crypto/base64.hpp"
#include "crypto/random.hpp"
#include "crypto/sha256.hpp"
#include "sandbox/limits.hpp"
#include "storage/task_codec.hpp"

#include <fstream>
#include <iterator>
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

std::string output_path(const task_record& t, const node_info& info) {
  return storage::task_output_file(storage::task_output_dir(info.data_dir), t.id);
}

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

// The HTTP answer for a finished CGI task.
http_response cgi_response(const task_record& t, const node_info& info) {
  auto ending = static_cast<sandbox::ending>(t.ending);
  http_response res;
  if (t.state == task_state::failed) {
    if (ending == sandbox::ending::cancelled) res = json_error(task_errc::task_cancelled, t.error);
    else if (t.error_code == code_name(sandbox_errc::isolation_unavailable))  // the host's refusal is the caller's to know
      res = json_error(*parse_error_code(t.error_code), t.error);
    else res = json_error(task_errc::sandbox_failed, "the sandbox could not start the handler");
  } else if (ending == sandbox::ending::wall_limit) {
    res = json_error(task_errc::wall_limit, "the handler ran out of wall-clock time");
  } else if (ending != sandbox::ending::exited && ending != sandbox::ending::signaled) {
    auto code = ending == sandbox::ending::memory_limit ? error_code(task_errc::memory_limit)
                : ending == sandbox::ending::cpu_limit  ? error_code(task_errc::cpu_limit)
                : ending == sandbox::ending::output_limit ? error_code(task_errc::output_limit)
                                                          : error_code(task_errc::sandbox_failed);
    res = json_error(code, "the handler hit its " + sandbox::to_string(ending));
  } else if (ending == sandbox::ending::signaled) {
    res = json_error(task_errc::handler_crashed, "the handler was killed by signal " + std::to_string(t.signal));
  } else if (t.stdout_spilled) {  // the head from the file's start, the body streamed from the file
    std::ifstream in(output_path(t, info), std::ios::binary);
    std::string start(64 * 1024, '\0');
    in.read(start.data(), static_cast<std::streamsize>(start.size()));
    start.resize(static_cast<std::size_t>(in.gcount()));
    auto head = parse_cgi_head(start);
    if (head) {
      res = std::move(head->first);
      res.stream = stream_file(output_path(t, info), head->second);
    } else {
      res = failure_response(head.error());
    }
  } else {
    auto parsed = parse_cgi_output(t.stdout_data);
    if (parsed) res = std::move(*parsed);
    else if (t.exit_code != 0)
      res = json_error(task_errc::handler_failed, "the handler exited with code " + std::to_string(t.exit_code));
    else res = failure_response(parsed.error());
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

// POST /tasks {"offer": HASH, "args": [...], "stdin_base64": "..."}: runs a batch offer.
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
  in.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"};
  task_answer answer = [info](const task_record& t) {
    json j = task_to_json(t, info);
    j["stdout_base64"] = crypto::base64_encode(task_stdout(t, info));
    j["stderr_base64"] = crypto::base64_encode(t.stderr_data);
    return json_response(t.state == task_state::completed ? 200 : 502, j);
  };
  sys.spawn(run_offer_task, body["offer"].get<std::string>(), offer_mode::batch, std::move(in), info,
            read_payment_request(req), std::move(respond), std::move(answer));
}

}  // namespace

// Asks the offer registry for the offer, then (through the paywall when
// the offer is priced) the task registry to run it, and answers with answer(task).
void run_offer_task(caf::event_based_actor* self, std::string hash, offer_mode mode, task_input in,
                    node_info info, payment_request pr, responder respond, task_answer answer) {
  auto& reg = self->system().registry();
  auto offers = caf::actor_cast<offer_registry_type>(reg.get(actors::offer_registry_key));
  auto tasks = caf::actor_cast<caf::actor>(reg.get(actors::task_registry_key));
  if (!offers || !tasks) return respond(json_error(http_errc::node_unavailable, "the node's actors are restarting"));
  if (!in.stdin_file.empty() && in.stdin_sha256.empty()) {
    auto digest = crypto::sha256_file(in.stdin_file);  // this actor is detached for it
    if (!digest) return respond(json_error(http_errc::spool_failed, "the request body could not be read back"));
    in.stdin_sha256 = crypto::to_hex(digest->data(), digest->size());
  }
  auto token = crypto::random_hex(32);
  if (!token) return respond(failure_response(token.error()));
  std::string token_hash = crypto::to_hex(crypto::sha256(*token));
  in.read_token_hash = token_hash;
  // The capability goes to this caller only when its request started the
  // task: never with a cache hit or a joined run (someone else's).
  answer = [answer = std::move(answer), token = *token, token_hash](const task_record& t) {
    http_response res = answer(t);
    if (res.header("X-Hearth-Task").empty()) res.headers.emplace_back("X-Hearth-Task", task_header(t));
    if (!t.cache_hit && t.read_token_hash == token_hash) res.headers.emplace_back(task_token_header, token);
    return res;
  };
  auto on_error = [=](caf::error& e) { respond(failure_response(to_failure(e, self->system().render(e)))); };
  self->request(offers, ask_timeout, get_atom::value, hash)
      .then(
          [=](stored_offer& offer) {
            if (actors::is_expired(offer.body, static_cast<std::int64_t>(unix_secs())))
              return respond(json_error(offer_errc::offer_expired, "offer " + hash + " has expired; nothing was charged"));
            if (offer.body.mode != mode)
              return respond(json_error(offer_errc::wrong_offer_mode, "offer " + hash + " is a " +
                                                                     mode_name(offer.body.mode) + " offer, not " +
                                                                     mode_name(mode)));
            auto wall = std::chrono::seconds(offer.body.limits.wall_secs + 30);
            task_runner run = [=](auto on_done, auto on_fail) {
              self->request(tasks, wall, run_atom::value, offer, in)
                  .then([=](task_record& t) { on_done(t, answer(t)); },
                        [=](caf::error& e) { on_fail(to_failure(e, self->system().render(e))); });
            };
            if (payments::is_free(offer.body) && mode == offer_mode::cgi) {
              header_list streamed_headers = cors_headers;
              streamed_headers.emplace_back(task_token_header, *token);  // only the starter's run streams
              auto streamer = std::make_shared<cgi_streamer>(respond, streamed_headers);
              task_input streamed = in;
              streamed.output_sink = std::make_shared<std::function<void(const std::string&, std::string_view)>>(
                  [streamer](const std::string& id, std::string_view data) { streamer->write(id, data); });
              self->request(tasks, wall, run_atom::value, offer, streamed)
                  .then(
                      [=](task_record& t) {
                        if (!streamer->started()) return respond(answer(t));
                        auto ending = static_cast<sandbox::ending>(t.ending);
                        streamer->end(t.state == task_state::completed && ending == sandbox::ending::exited);
                      },
                      [=](caf::error& e) {
                        if (streamer->started()) return streamer->end(false);
                        respond(failure_response(to_failure(e, self->system().render(e))));
                      });
              return;
            }
            if (payments::is_free(offer.body))
              return run([=](const task_record&, http_response res) { respond(std::move(res)); },
                         [=](const failure& f) { respond(failure_response(f)); });
            paid_call(self, offer, info, pr, respond, run);
          },
          on_error);
}

std::string task_stdout(const task_record& t, const node_info& info) {
  if (!t.stdout_spilled) return t.stdout_data;
  std::ifstream in(output_path(t, info), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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
    ask_actor<std::vector<task_record>>(
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
  // Anyone but the owner learns nothing of a task without its token, not
  // even whether it exists (a deterministic offer's task id can be computed).
  responder guarded = [respond = std::move(respond), owner](http_response r) {
    respond(!owner && r.status == 404 ? unauthorized_task() : std::move(r));
  };
  ask_actor<task_record>(
      sys, actors::task_registry_key, std::move(guarded),
      [info, part, owner, token](task_record& t) {
        if (!owner && !secret_matches(token, t.read_token_hash)) return unauthorized_task();
        if (part.empty()) return json_response(200, task_to_json(t, info));
        http_response r{200,
                        {{"Content-Type", "application/octet-stream"}, {"X-Hearth-Task", task_header(t)}},
                        part == "stdout" ? t.stdout_data : t.stderr_data};
        if (part == "stdout" && t.stdout_spilled) r.stream = stream_file(output_path(t, info), 0);
        return r;
      },
      get_atom::value, id);
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
  auto in = cgi_input(req, ctx);
  auto pr = read_payment_request(req);
  // A spooled body is hashed before the task is asked for: on a thread of
  // its own, not the scheduler's.
  task_answer answer = [info](const task_record& t) { return cgi_response(t, info); };
  if (!in.stdin_file.empty())
    sys.spawn<caf::detached>(run_offer_task, hash, offer_mode::cgi, std::move(in), info, std::move(pr),
                             std::move(respond), std::move(answer));
  else
    sys.spawn(run_offer_task, hash, offer_mode::cgi, std::move(in), info, std::move(pr), std::move(respond),
              std::move(answer));
  return true;
}

}  // namespace hearth::net
