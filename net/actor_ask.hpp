// The edge's one way of asking an actor: a short-lived actor sends the
// request and turns the reply (or the failure) into an HTTP response.
// State travels as spawn arguments (CAF 0.17 misbehaves with none).
#pragma once

#include <caf/all.hpp>

#include "messages/failure_error.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

inline constexpr auto ask_timeout = std::chrono::seconds(30);

// Handle: the target's interface (messages/interfaces.hpp), so that a
// request it does not take, or a reply of another type, does not build.
template <class Handle, class Reply, class OnReply, class... Ts>
void ask_actor(caf::actor_system& sys, caf::atom_value key, responder respond, OnReply on_reply, Ts... xs) {
  auto body = [](caf::event_based_actor* self, caf::atom_value key, responder respond, OnReply on_reply, Ts... xs) {
    auto target = caf::actor_cast<Handle>(self->system().registry().get(key));
    if (!target) return respond(json_error(http_errc::node_unavailable, "the node's actors are restarting"));
    self->request(target, ask_timeout, std::move(xs)...)
        .then([=](Reply& reply) { respond(on_reply(reply)); },
              [=](caf::error& e) { respond(failure_response(to_failure(e, self->system().render(e)))); });
  };
  sys.spawn(body, key, std::move(respond), std::move(on_reply), std::move(xs)...);
}

}  // namespace hearth::net
