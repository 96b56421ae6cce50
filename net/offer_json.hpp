// The JSON view of an offer that GET /offers and the CLI show.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "messages/offer.hpp"

namespace hearth::net {

nlohmann::json offer_to_json(const stored_offer& o);
// Atomic USDC units (6 decimals) as a decimal string: 1500 -> "0.0015".
std::string usdc_string(std::uint64_t atomic);

}  // namespace hearth::net
