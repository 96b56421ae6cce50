#include "actors/job_rules.hpp"

#include "crypto/address.hpp"
#include "crypto/uint256.hpp"

namespace hearth::actors {

std::uint64_t job_price(std::uint64_t price_per_hour, std::uint64_t secs) {
  unsigned __int128 total = static_cast<unsigned __int128>(price_per_hour) * secs;
  return static_cast<std::uint64_t>((total + 3599) / 3600);
}

std::vector<payments::requirement> job_requirements(const std::string& seller_address, std::uint64_t amount,
                                                    const payment_terms& terms, const std::string& resource_url,
                                                    const std::string& what) {
  auto pay_to = crypto::parse_address(seller_address);
  auto value = crypto::parse_uint256(std::to_string(amount));
  if (!pay_to || !value) return {};
  return requirements_of(*pay_to, *value, terms, resource_url, what, "application/json");
}

std::vector<payment_option> to_options(const std::vector<payments::requirement>& reqs) {
  std::vector<payment_option> out;
  for (const auto& r : reqs) out.push_back(to_option(r));
  return out;
}

}  // namespace hearth::actors
