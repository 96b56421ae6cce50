#include "actors/pool_ledger.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <unordered_map>

#include "messages/clock.hpp"

namespace hearth::actors {
namespace {

// The ledger's state: each pool's use, and which actors hold room in the
// concurrent ones (monitored: their end gives it back).
struct pool_state {
  std::vector<pool_use> pools;
  std::unordered_map<caf::actor_addr, std::vector<std::size_t>> holders;  // actor -> pools it holds room in
  static inline const char* name = "pool_ledger";
};

using ledger = pool_ledger_type::stateful_pointer<pool_state>;

// Calls-per-period pools start a new period at the next multiple of it.
void roll_period(pool_use& p, std::int64_t now_ms) {
  if (p.period_secs == 0 || now_ms < p.period_ends_at_ms) return;
  auto period_ms = static_cast<std::int64_t>(p.period_secs) * 1000;
  p.period_ends_at_ms = (now_ms / period_ms + 1) * period_ms;
  p.in_use = 0;
}

bool acquire(ledger self, const std::string& name) {
  auto& st = self->state;
  auto it = std::find_if(st.pools.begin(), st.pools.end(), [&](const pool_use& p) { return p.name == name; });
  if (it == st.pools.end()) return false;  // a pool this node does not have: the offer's price applies
  roll_period(*it, unix_ms());
  if (it->in_use >= it->capacity) {
    ++it->full_calls;
    return false;
  }
  ++it->in_use;
  ++it->free_calls;
  if (it->period_secs == 0) {
    auto holder = caf::actor_cast<caf::actor>(self->current_sender());
    auto& held = st.holders[holder.address()];
    if (held.empty()) self->monitor(holder);
    held.push_back(static_cast<std::size_t>(it - st.pools.begin()));
  }
  return true;
}

pool_ledger_type::behavior_type ledger_behavior(ledger self, std::vector<pool_config> pools) {
  for (auto& c : pools) {
    pool_use p;
    p.name = c.name;
    p.capacity = c.capacity;
    p.period_secs = c.period_secs;
    self->state.pools.push_back(std::move(p));
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.holders.find(dm.source);
    if (it == st.holders.end()) return;
    for (auto i : it->second) --st.pools[i].in_use;
    st.holders.erase(it);
  });
  return {
      [self](acquire_atom, const std::string& name) { return acquire(self, name); },
      [self](get_atom) {
        auto now = unix_ms();
        for (auto& p : self->state.pools) roll_period(p, now);
        return self->state.pools;
      },
  };
}

std::uint64_t period_of(const std::string& text) {
  if (text.empty()) return 0;
  std::size_t used = 0;
  std::uint64_t n = 0;
  for (; used < text.size() && std::isdigit(static_cast<unsigned char>(text[used])) && n < 1000000000; ++used)
    n = n * 10 + static_cast<std::uint64_t>(text[used] - '0');
  std::string unit = text.substr(used);
  std::uint64_t scale = unit == "s" || unit.empty() ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  return used == 0 ? 0 : n * scale;
}

}  // namespace

result<std::vector<pool_config>> parse_pools(const std::string& spec) {
  std::vector<pool_config> out;
  std::size_t start = 0;
  while (start < spec.size()) {
    auto end = spec.find(',', start);
    std::string item = spec.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? spec.size() : end + 1;
    if (item.empty()) continue;
    auto bad = [&item] {
      return fail(config_errc::bad_option, "--pool is NAME=N (runs at once) or NAME=N/PERIOD (calls per period, "
                                           "e.g. free=100/1h), names of a-z 0-9 _ -; not " + item);
    };
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq > 64) return bad();
    pool_config c;
    c.name = item.substr(0, eq);
    if (!std::all_of(c.name.begin(), c.name.end(), [](char ch) {
          return std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '_' ||
                 ch == '-';
        }))
      return bad();
    std::string rest = item.substr(eq + 1);
    auto slash = rest.find('/');
    std::string count = rest.substr(0, slash);
    if (count.empty() || count.size() > 9 || count.find_first_not_of("0123456789") != std::string::npos) return bad();
    c.capacity = std::stoull(count);
    if (slash != std::string::npos) {
      c.period_secs = period_of(rest.substr(slash + 1));
      if (c.period_secs == 0) return bad();
    }
    for (const auto& other : out)
      if (other.name == c.name) return fail(config_errc::bad_option, "--pool names " + c.name + " twice");
    out.push_back(std::move(c));
  }
  return out;
}

pool_ledger_type spawn_pool_ledger(caf::actor_system& sys, std::vector<pool_config> pools) {
  return sys.spawn(ledger_behavior, std::move(pools));
}

}  // namespace hearth::actors
