#include "net/edge_bridge.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "messages/failure_error.hpp"

namespace hearth::net {

// A request handed to a bridge (a local message only: it holds functions).
struct bridge_request {
  responder respond;
  bridge_work work;
  std::chrono::milliseconds deadline;
};

}  // namespace hearth::net

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hearth::net::bridge_request)

namespace hearth::net {
namespace {

using sweep_atom = caf::atom_constant<caf::atom("brsweep")>;
constexpr auto sweep_every = std::chrono::seconds(1);
constexpr unsigned max_bridges = 16;

caf::atom_value bridge_key(unsigned i) {
  static const caf::atom_value keys[max_bridges] = {
      caf::atom("bridge0"),  caf::atom("bridge1"),  caf::atom("bridge2"),  caf::atom("bridge3"),
      caf::atom("bridge4"),  caf::atom("bridge5"),  caf::atom("bridge6"),  caf::atom("bridge7"),
      caf::atom("bridge8"),  caf::atom("bridge9"),  caf::atom("bridge10"), caf::atom("bridge11"),
      caf::atom("bridge12"), caf::atom("bridge13"), caf::atom("bridge14"), caf::atom("bridge15")};
  return keys[i % max_bridges];
}

// One answer at most: the first call wins, whichever thread makes it.
struct answer_slot {
  std::atomic<bool> taken{false};
  responder respond;
  bool take() { return !taken.exchange(true); }
};

struct pending {
  std::chrono::steady_clock::time_point deadline;
  std::shared_ptr<answer_slot> slot;
};

struct bridge_state {
  std::vector<pending> waiting;  // requests begun since the last sweep or not yet answered
  static inline const char* name = "edge_bridge";
};

void sweep(caf::stateful_actor<bridge_state>* self) {
  auto now = std::chrono::steady_clock::now();
  auto& waiting = self->state.waiting;
  std::size_t kept = 0;
  for (auto& p : waiting) {
    if (p.slot->taken.load()) continue;
    if (p.deadline <= now) {
      if (p.slot->take())
        p.slot->respond(failure_response(
            to_failure(caf::make_error(caf::sec::request_timeout), "the node's actors did not answer in time")));
      continue;
    }
    waiting[kept++] = std::move(p);
  }
  waiting.resize(kept);
}

// A temporary bridge (started while an edge's own are not published yet)
// ends at its first sweep with nothing left waiting.
caf::behavior bridge(caf::stateful_actor<bridge_state>* self, bool temporary) {
  self->delayed_send(self, sweep_every, sweep_atom::value);
  return {
      [self](bridge_request& req) {
        auto slot = std::make_shared<answer_slot>();
        slot->respond = std::move(req.respond);
        self->state.waiting.push_back({std::chrono::steady_clock::now() + req.deadline, slot});
        req.work(self, [slot](http_response r) {
          if (slot->take()) slot->respond(std::move(r));
        });
      },
      [self, temporary](sweep_atom) {
        sweep(self);
        if (temporary && self->state.waiting.empty()) return self->quit();
        self->delayed_send(self, sweep_every, sweep_atom::value);
      },
  };
}

}  // namespace

void bridge_run(caf::actor_system& sys, responder respond, bridge_work work, std::chrono::milliseconds deadline) {
  thread_local unsigned next = 0;
  auto target = caf::actor_cast<caf::actor>(sys.registry().get(bridge_key(next++)));
  if (!target) target = sys.spawn(bridge, true);
  caf::anon_send(target, bridge_request{std::move(respond), std::move(work), deadline});
}

void edge_bridges::start(caf::local_actor* owner, unsigned count) {
  count = std::max(1u, std::min(count, max_bridges));
  for (unsigned i = 0; i < count; ++i) bridges_.push_back(owner->spawn<caf::monitored>(bridge, false));
  publish(owner->system());
  owner->attach_functor([bridges = bridges_] {
    for (const auto& b : bridges) caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
  });
}

bool edge_bridges::replace(caf::local_actor* owner, const caf::actor_addr& gone) {
  for (unsigned i = 0; i < bridges_.size(); ++i) {
    if (bridges_[i].address() != gone) continue;
    bridges_[i] = owner->spawn<caf::monitored>(bridge, false);
    owner->attach_functor([b = bridges_[i]] { caf::anon_send_exit(b, caf::exit_reason::user_shutdown); });
    publish(owner->system());
    return true;
  }
  return false;
}

void edge_bridges::publish(caf::actor_system& sys) const {
  for (unsigned k = 0; k < max_bridges; ++k) {  // every key names one, so a lookup never misses
    sys.registry().erase(bridge_key(k));  // put keeps an existing entry
    sys.registry().put(bridge_key(k), caf::actor_cast<caf::strong_actor_ptr>(bridges_[k % bridges_.size()]));
  }
}

}  // namespace hearth::net
