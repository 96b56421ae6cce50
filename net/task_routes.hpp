// Translates the task endpoints into task_registry messages:
//   GET /tasks?after=ID&limit=N (the owner's), GET /tasks/ID, GET /tasks/ID/stdout,
//   GET /tasks/ID/stderr (the owner, or whoever shows the task's read token),
//   POST /tasks {"offer", "args", "stdin_base64"} (runs a batch offer; the
//   answer adds stdout_base64 and stderr_base64)
// and the CGI endpoint: ANY /{offer_hash}.cgi[/path_info] runs the offer as a
// task and answers with its CGI output; OPTIONS answers CORS.
#pragma once

#include <caf/fwd.hpp>
#include <nlohmann/json_fwd.hpp>

#include "messages/call.hpp"
#include "messages/result.hpp"
#include "net/http_types.hpp"
#include "net/node_info.hpp"

#include <functional>

namespace hearth::net {

bool route_tasks(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond);
bool route_cgi(caf::actor_system& sys, const node_info& info, http_request& req, responder& respond);
// The header carrying a task's read capability: in the answer to the
// request that started the task, and back on GET /tasks/ID[/stdout|stderr]
// (or as ?token=). Only its sha256 is stored, in the task's record.
inline constexpr const char* task_token_header = "X-Hearth-Task-Token";

// Whether path is a CGI endpoint (their request bodies are spooled to disk).
bool is_cgi_path(std::string_view path);

// The HTTP answer to a call: the 402 challenge when it must be paid (a page
// for a browser), else mode_answer's with the task's header, the caller's
// read token and the payment's receipt; a failure as its JSON error.
http_response call_http_answer(const result<call_result>& r, bool browser,
                               const std::function<http_response(const call_result&)>& mode_answer);

nlohmann::json task_to_json(const task_record& t, const node_info& info);
// A task's whole stdout, from its record or its output file (for answers
// that hold it whole anyway: batch JSON, MCP results).
std::string task_stdout(const task_record& t, const node_info& info);
// "id=...; cpu_secs=...; wall_secs=...; peak_memory_bytes=..." for the X-Hearth-Task header.
std::string task_header(const task_record& t);

}  // namespace hearth::net
