// The edge's one way of asking an actor: a bridge (net/edge_bridge.hpp)
// sends the request and turns the reply (or the failure) into an HTTP
// response.
#pragma once

#include <caf/all.hpp>

#include "messages/failure_error.hpp"
#include "net/edge_bridge.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

inline constexpr auto ask_timeout = std::chrono::seconds(30);

// Handle: the target's interface (messages/interfaces.hpp), so that a
// request it does not take, or a reply of another type, does not build.
template <class Handle, class Reply, class OnReply, class... Ts>
void ask_actor(caf::actor_system& sys, caf::atom_value key, responder respond, OnReply on_reply, Ts... xs) {
  bridge_run(sys, std::move(respond),
             [key, on_reply = std::move(on_reply), xs...](caf::event_based_actor* self, const responder& respond) {
               auto target = caf::actor_cast<Handle>(self->system().registry().get(key));
               if (!target) return respond(json_error(http_errc::node_unavailable, "the node's actors are restarting"));
               self->request(target, caf::infinite, xs...)
                   .then([=](Reply& reply) { respond(on_reply(reply)); },
                         [=](caf::error& e) { respond(failure_response(to_failure(e, self->system().render(e)))); });
             },
             ask_timeout);
}

}  // namespace hearth::net
