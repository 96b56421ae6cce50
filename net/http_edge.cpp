#include "net/http_edge.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "messages/node.hpp"
#include "net/edge_bridge.hpp"
#include "net/http_metrics.hpp"
#include "net/http_server.hpp"
#include "net/node_routes.hpp"

namespace hearth::net {
namespace {


struct edge_state {
  std::unique_ptr<http_server> server;
  std::string url;
  std::vector<caf::response_promise> drain_waiters;
  bool drained = false;
  edge_bridges bridges;
  static inline const char* name = "http_edge";
};

using edge_actor = http_edge_type::stateful_pointer<edge_state>;

http_edge_type::behavior_type edge_behavior(edge_actor self, std::shared_ptr<std::unique_ptr<http_server>> server) {
  self->state.server = std::move(*server);
  self->state.url = std::string(self->state.server->tls() ? "https://" : "http://") + self->state.server->host() + ":" + std::to_string(self->state.server->port());
  self->state.bridges.start(self, static_cast<unsigned>(self->system().scheduler().num_workers()));
  self->set_down_handler([self](caf::down_msg& dm) {
    if (self->state.bridges.replace(self, dm.source))
      spdlog::warn("http edge: a bridge actor ended ({}); replaced", self->system().render(dm.reason));
  });
  return {
      [self](get_atom) { return self->state.url; },
      [self](drain_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (st.drained) return true;
        st.drain_waiters.push_back(self->make_response_promise());
        if (st.drain_waiters.size() == 1) {
          st.server->drain([edge = caf::actor_cast<http_edge_type>(self)] { caf::anon_send(edge, drained_atom::value); });
        }
        return st.drain_waiters.back();
      },
      [self](drained_atom) {
        auto& st = self->state;
        st.drained = true;
        for (auto& p : st.drain_waiters) p.deliver(true);
        st.drain_waiters.clear();
      },
  };
}

}  // namespace

result<http_edge_type> spawn_http_edge(caf::actor_system& sys, const http_edge_config& config, const node_info& info) {
  auto metrics = std::make_shared<http_metrics>();
  auto server = http_server::start(config.listen, config.limits, make_node_routes(sys, info, metrics), config.io_threads,
                                   config.tls, metrics);
  if (!server) return server.error();
  // The behaviour takes ownership; a shared_ptr carries the move-only server into spawn.
  auto holder = std::make_shared<std::unique_ptr<http_server>>(std::move(*server));
  return sys.spawn(edge_behavior, holder);
}

}  // namespace hearth::net
