// Loads and saves the node's meta record (column meta, key "node").
#pragma once

#include <optional>

#include "messages/node.hpp"
#include "storage/store.hpp"

namespace hearth::storage {

result<std::optional<node_meta>> load_node_meta(const store& db);
result<void> save_node_meta(store& db, const node_meta& meta);

}  // namespace hearth::storage
