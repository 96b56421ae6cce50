// A connection after its WebSocket handshake (Beast): reads messages to the
// route's websocket_handler, writes what the route sends in order, bounded
// (a message at most 1 MiB; send blocks while 4 MiB are queued for a peer
// that does not read). Counts as the connection it was, until it closes.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include <memory>

#include "net/server_state.hpp"

namespace hearth::net {

// Takes over the stream of a session whose request was an accepted upgrade.
// peer: the address the listener counts the connection under.
void start_websocket_session(boost::beast::tcp_stream&& stream, std::shared_ptr<shared_state> shared, std::string peer,
                             std::shared_ptr<websocket_handler> handler,
                             boost::beast::http::request<boost::beast::http::empty_body> handshake);
// The same over TLS (wss), keeping the TLS context while it lives.
void start_websocket_session(boost::beast::ssl_stream<boost::beast::tcp_stream>&& stream, std::shared_ptr<void> context,
                             std::shared_ptr<shared_state> shared, std::string peer,
                             std::shared_ptr<websocket_handler> handler,
                             boost::beast::http::request<boost::beast::http::empty_body> handshake);

}  // namespace hearth::net
