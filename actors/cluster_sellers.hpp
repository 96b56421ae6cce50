// The seller directories a hub's matchmaking sees, and the one a job's
// seller is in. Placement rule across a cluster: a job goes to this hub's
// own sellers when one fits; otherwise to the first live member, by name,
// that has sellers online and whose matchmaker places it. A quote asks in
// the same order, so a priced job is quoted where it would be placed. The
// job's record stays on the hub that took it; its home_node names the
// member whose seller runs it (this hub's own name when clustered).
#pragma once

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "actors/cluster_member.hpp"
#include "actors/seller_directory.hpp"
#include "messages/failure_error.hpp"
#include "messages/interfaces.hpp"

namespace hearth::actors {

struct seller_directory_at {
  std::string node;  // the member it is on; empty: this hub
  seller_directory_type dir;
};

// The error a submit gets when no directory placed (or quoted) the job:
// the most telling of theirs, a full seller over an unknown image.
inline caf::error more_telling(caf::error so_far, caf::error next) {
  if (!so_far || to_failure(next, "").code == market_errc::no_seller_capacity) return next;
  return so_far;
}
inline caf::error no_matchmaker(caf::error so_far) {
  return so_far ? so_far : to_error(fail(http_errc::node_unavailable, "the hub's matchmaker is restarting"));
}

// f(std::vector<seller_directory_at>): this hub's directory first, then the members'.
template <class Self, class F>
void seller_directories(Self self, F f) {
  std::vector<seller_directory_at> found;
  auto& reg = self->system().registry();
  if (auto own = caf::actor_cast<seller_directory_type>(reg.get(seller_directory_key))) found.push_back({"", own});
  auto cluster = caf::actor_cast<cluster_member_type>(reg.get(cluster_member_key));
  if (!cluster) return f(std::move(found));
  self->request(cluster, std::chrono::seconds(5), get_atom::value)
      .then(
          [f, found](std::vector<member_info>& members) mutable {
            for (auto& m : members)
              if (m.state == "up" && m.sellers && m.sellers_online > 0)
                found.push_back({m.name, caf::actor_cast<seller_directory_type>(m.sellers)});
            f(std::move(found));
          },
          [f, found](caf::error&) mutable { f(std::move(found)); });
}

// f(seller_directory_type) with the directory of the member named home (this
// hub's when home is empty or own); a null handle when that member is not up.
template <class Self, class F>
void home_directory(Self self, const std::string& home, const std::string& own, F f) {
  auto& reg = self->system().registry();
  auto cluster = caf::actor_cast<cluster_member_type>(reg.get(cluster_member_key));
  if (home.empty() || home == own || !cluster) return f(caf::actor_cast<seller_directory_type>(reg.get(seller_directory_key)));
  self->request(cluster, std::chrono::seconds(5), get_atom::value, home)
      .then([f](member_info& m) mutable { f(caf::actor_cast<seller_directory_type>(m.sellers)); },
            [f](caf::error&) mutable { f(seller_directory_type{}); });
}

}  // namespace hearth::actors
