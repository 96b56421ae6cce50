#include "messages/failure_error.hpp"

namespace hearth {

caf::error to_error(const failure& f) {
  // caf::error's code 0 means "no error": the value goes shifted by one.
  return caf::error(static_cast<std::uint8_t>(f.code.value + 1), caf::atom_from_string(module_name(f.code.module)), caf::make_message(f.message));
}

failure to_failure(const caf::error& e, const std::string& rendered) {
  for (auto m = 0u; e && m < 256u; ++m) {
    auto module = static_cast<error_module>(m);
    auto name = module_name(module);
    if (name == "unknown") break;
    if (e.category() != caf::atom_from_string(name)) continue;
    std::string message = e.context().match_elements<std::string>() ? e.context().get_as<std::string>(0) : "";
    return failure{error_code(module, static_cast<std::uint8_t>(e.code() - 1)), std::move(message)};
  }
  return failure{http_errc::node_unavailable, "the node could not answer: " + rendered};
}

}  // namespace hearth
