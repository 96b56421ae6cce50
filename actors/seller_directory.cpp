#include "actors/seller_directory.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "messages/failure_error.hpp"

#include <spdlog/spdlog.h>

namespace hearth::actors {
namespace {

struct listed_seller {
  seller_info info;
  seller_session_type session;
  std::unordered_map<std::string, job_spec> placed;  // job id -> what it holds
};

struct seller_directory_state {
  std::map<std::string, listed_seller> sellers;  // by address
  static inline const char* name = "seller_directory";
};
using directory_self = seller_directory_type::stateful_pointer<seller_directory_state>;

// What the seller has free: what it reported, less what the hub placed since.
market_capacity free_of(const listed_seller& s) {
  market_capacity held;
  for (const auto& [id, spec] : s.placed) {
    held.cpus += spec.cpus;
    held.mem_mb += spec.mem_mb;
    held.jobs += 1;
  }
  const auto& total = s.info.total;
  market_capacity f;
  f.cpus = std::max(0.0, std::min(s.info.free.cpus, total.cpus - held.cpus));
  f.mem_mb = std::min(s.info.free.mem_mb, total.mem_mb > held.mem_mb ? total.mem_mb - held.mem_mb : 0);
  f.jobs = std::min(s.info.free.jobs, total.jobs > held.jobs ? total.jobs - held.jobs : 0u);
  return f;
}

double load_of(const listed_seller& s) {
  auto f = free_of(s);
  return s.info.total.jobs == 0 ? 1.0 : 1.0 - static_cast<double>(f.jobs) / s.info.total.jobs;
}

seller_info shown(const listed_seller& s) {
  seller_info i = s.info;
  i.free = free_of(s);
  i.jobs_running = i.total.jobs - std::min(i.total.jobs, i.free.jobs);
  return i;
}

// The seller the policy picks for spec, or why none.
result<listed_seller*> pick(directory_self self, const job_spec& spec) {
  listed_seller* best = nullptr;
  bool image_known = false;
  for (auto& [address, s] : self->state.sellers) {
    if (s.info.stale || std::find(s.info.images.begin(), s.info.images.end(), spec.image) == s.info.images.end())
      continue;
    image_known = true;
    auto f = free_of(s);
    if (f.jobs < 1 || f.cpus + 1e-9 < spec.cpus || f.mem_mb < spec.mem_mb) continue;
    auto better = [&](const listed_seller& a, const listed_seller& b) {
      if (a.info.price_per_hour != b.info.price_per_hour) return a.info.price_per_hour < b.info.price_per_hour;
      if (load_of(a) != load_of(b)) return load_of(a) < load_of(b);
      return a.info.connected_at_ms < b.info.connected_at_ms;
    };
    if (!best || better(s, *best)) best = &s;
  }
  if (!best && !image_known && !self->state.sellers.empty())
    return fail(market_errc::unknown_image, "no online seller offers the image " + spec.image);
  if (!best)
    return fail(market_errc::no_seller_capacity, "no online seller has " + std::to_string(spec.cpus) + " cpus, " +
                                                     std::to_string(spec.mem_mb) + " MiB and a job slot free for " +
                                                     spec.image);
  return best;
}

caf::result<seller_info, seller_session_type> place(directory_self self, const std::string& job, const job_spec& spec) {
  auto best = pick(self, spec);
  if (!best) return to_error(best.error());
  (*best)->placed[job] = spec;
  return caf::result<seller_info, seller_session_type>(shown(**best), (*best)->session);
}

}  // namespace

seller_directory_type spawn_seller_directory(caf::actor_system& sys, std::size_t max_sellers) {
  // (max travels as a spawn argument: CAF 0.17 misbehaves with none.)
  return sys.spawn([](directory_self self, std::size_t max) -> seller_directory_type::behavior_type {
    return {
        [self, max](put_atom, seller_info& info, seller_session_type& session) {
          if (!self->state.sellers.count(info.address) && self->state.sellers.size() >= max) {
            spdlog::warn("seller {} not listed: the hub holds {} sellers already", info.id, max);
            return;
          }
          auto& s = self->state.sellers[info.address];
          if (s.session != session) s.placed.clear();  // a new session: its heartbeats count what runs
          s.info = std::move(info);
          s.session = std::move(session);
        },
        [self](drop_atom, const std::string& address, const seller_session_type& session) {
          auto it = self->state.sellers.find(address);
          if (it != self->state.sellers.end() && it->second.session == session) self->state.sellers.erase(it);
        },
        [self](place_atom, const std::string& job, const job_spec& spec) { return place(self, job, spec); },
        [self](quote_atom, const job_spec& spec) -> caf::result<seller_info> {
          auto best = pick(self, spec);
          if (!best) return to_error(best.error());
          return shown(**best);
        },
        [self](release_atom, const std::string& address, const std::string& job) {
          if (auto it = self->state.sellers.find(address); it != self->state.sellers.end()) it->second.placed.erase(job);
        },
        [self](list_atom) {
          std::vector<seller_info> out;
          for (const auto& [address, s] : self->state.sellers) out.push_back(shown(s));
          std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
          return out;
        },
        [self](health_atom) { return static_cast<std::uint64_t>(self->state.sellers.size()); },
        [self](get_atom, const std::string& address) -> caf::result<seller_session_type> {
          auto it = self->state.sellers.find(address);
          if (it == self->state.sellers.end())
            return to_error(fail(market_errc::seller_unavailable, "seller " + address + " is not online"));
          return it->second.session;
        },
    };
  }, max_sellers);
}

}  // namespace hearth::actors
