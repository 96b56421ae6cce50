// The edge's side of the stream interfaces in messages/ (a task's stdout, a
// command's output): a chunk goes into the client's body_stream and is
// acknowledged at once while the body has room; once it is full, when the
// client has read (the stream actor sends itself room_atom and delivers
// waiting); refused once the client is gone.
#pragma once

#include <caf/all.hpp>

#include <string>

#include "messages/atoms.hpp"
#include "net/http_types.hpp"

namespace hearth::net {

template <class Handle, class Self>
caf::result<bool> offer_chunk(Self self, body_stream& body, std::string data, caf::typed_response_promise<bool>& waiting) {
  auto me = caf::actor_cast<Handle>(self);
  switch (body.offer(std::move(data), [me] { caf::anon_send(me, room_atom::value); })) {
    case body_stream::fill::room: return true;
    case body_stream::fill::gone: return false;
    case body_stream::fill::full: break;
  }
  waiting = self->template make_response_promise<bool>();
  return waiting;
}

// room_atom's handler.
inline void room_for_more(caf::typed_response_promise<bool>& waiting) {
  if (waiting.pending()) waiting.deliver(true);
}

}  // namespace hearth::net
