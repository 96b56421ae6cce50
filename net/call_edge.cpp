#include "net/call_edge.hpp"

#include <caf/all.hpp>

#include "actors/call_actor.hpp"
#include "messages/failure_error.hpp"
#include "messages/interfaces.hpp"
#include "net/cgi.hpp"
#include "net/stream_ack.hpp"
#include "net/task_routes.hpp"
#include "sandbox/limits.hpp"

namespace hearth::net {
namespace {

// The call actor answers within its own bounds; this one only guards
// against a call service that is gone (the HTTP handler timeout is longer).
constexpr auto call_timeout = std::chrono::seconds(3700);

struct call_edge_state {
  responder respond;
  call_answer answer;
  std::optional<header_list> stream_headers;
  std::shared_ptr<body_stream> body;  // once the response streams
  bool refused = false;               // the streamed head was malformed: the call's answer says so
  caf::typed_response_promise<bool> waiting;  // a chunk's acknowledgement, until the client has read
  static inline const char* name = "call_edge";
};

using call_edge = call_stream_type::stateful_pointer<call_edge_state>;

void finish(call_edge self, const result<call_result>& r) {
  auto& st = self->state;
  if (st.body) {  // whole when the task ended well, cut (no last chunk) otherwise
    bool whole = r && r->ran && r->task.state == task_state::completed &&
                 static_cast<sandbox::ending>(r->task.ending) == sandbox::ending::exited;
    if (whole) st.body->finish();
    else st.body->abort();
  } else {
    st.respond(st.answer(r));
  }
  self->quit();
}

call_stream_type::behavior_type call_edge_behavior(call_edge self, call_request req, responder respond,
                                                   call_answer answer, std::optional<header_list> stream_headers) {
  auto& st = self->state;
  st.respond = std::move(respond);
  st.answer = std::move(answer);
  st.stream_headers = std::move(stream_headers);
  auto calls = caf::actor_cast<call_service_type>(self->system().registry().get(actors::call_service_key));
  if (!calls) {
    finish(self, fail(http_errc::node_unavailable, "the node's actors are restarting"));
  } else {
    if (st.stream_headers) req.stream = caf::actor_cast<call_stream_type>(self);
    self->request(calls, call_timeout, call_atom::value, std::move(req))
        .then([=](call_result& r) { finish(self, std::move(r)); },
              [=](caf::error& e) { finish(self, to_failure(e, self->system().render(e))); });
  }
  return {
      [=](token_atom, std::string& token) {
        if (self->state.stream_headers) self->state.stream_headers->emplace_back(task_token_header, std::move(token));
      },
      [=](output_atom, std::string& task_id, std::string& chunk) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.stream_headers || st.refused) return false;
        if (!st.body) {
          std::string rest;
          st.body = start_cgi_stream(st.respond, *st.stream_headers, task_id, chunk, rest);
          if (!st.body) {
            st.refused = true;
            return false;
          }
          chunk = std::move(rest);
        }
        return offer_chunk<call_stream_type>(self, *st.body, std::move(chunk), st.waiting);
      },
      [=](room_atom) { room_for_more(self->state.waiting); },
  };
}

}  // namespace

void call_offer(caf::actor_system& sys, call_request req, responder respond, call_answer answer,
                std::optional<header_list> stream_headers) {
  sys.spawn(call_edge_behavior, std::move(req), std::move(respond), std::move(answer), std::move(stream_headers));
}

}  // namespace hearth::net
