// GET /: the node's public face, what a buyer or an agent reads first. Its
// offers a page at a time: name, mode, price, limits and how to call each
// (curl, `hearth curl` for a priced one, `hearth run`, its MCP tool name),
// as HTML for a browser and as JSON for `Accept: application/json`.
#pragma once

#include <string>
#include <vector>

#include "messages/offer.hpp"
#include "messages/pool.hpp"
#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

struct index_view {
  std::string base_url;  // how the client reached the node (its Host header), for the commands shown
  std::vector<stored_offer> offers;
  std::vector<std::string> tool_names;  // offers[i]'s MCP tool name ("" unless an MCP offer)
  std::vector<pool_use> pools;
  std::string next;  // the next page's `after` ("" on the last page)
  bool json = false;
};

http_response index_page(const node_info& info, const index_view& view);

// Whether an Accept header prefers JSON to HTML.
bool accepts_json(std::string_view accept);

}  // namespace hearth::net
