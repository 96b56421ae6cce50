#include "messages/type_ids.hpp"

#include <caf/actor_system_config.hpp>

#include <utility>

namespace hearth {
namespace {

using block = caf::id_block::hearth;

template <caf::type_id_t I>
using type_at = typename caf::type_by_id<block::begin + I>::type;

template <caf::type_id_t... Is>
void add_all(caf::actor_system_config& cfg, std::integer_sequence<caf::type_id_t, Is...>) {
  (cfg.add_message_type<type_at<Is>>(caf::type_name_by_id<block::begin + Is>::value), ...);
}

template <caf::type_id_t... Is>
std::vector<const char*> names(std::integer_sequence<caf::type_id_t, Is...>) {
  return {caf::type_name_by_id<block::begin + Is>::value...};
}

constexpr auto all_ids = std::make_integer_sequence<caf::type_id_t, block::end - block::begin>{};

}  // namespace

void register_message_types(caf::actor_system_config& cfg) { add_all(cfg, all_ids); }

std::vector<const char*> message_type_names() { return names(all_ids); }

}  // namespace hearth
