// What a marketplace job costs: its seller's price per hour for the time
// asked (rounded up to the atomic unit), paid up front with x402 to the
// seller's address, on every network the hub takes, like a priced offer's call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/call_rules.hpp"
#include "messages/market.hpp"

namespace hearth::actors {

std::uint64_t job_price(std::uint64_t price_per_hour, std::uint64_t secs);
std::vector<payments::requirement> job_requirements(const std::string& seller_address, std::uint64_t amount,
                                                    const payment_terms& terms, const std::string& resource_url,
                                                    const std::string& what);
std::vector<payment_option> to_options(const std::vector<payments::requirement>& reqs);

}  // namespace hearth::actors
