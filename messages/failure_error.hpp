// Carries a hearth failure (stable code + message) across actor boundaries
// as a caf::error of category "hearth", and back.
#pragma once

#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "messages/result.hpp"

namespace hearth {

inline const caf::atom_value failure_category = caf::atom("hearth");

inline caf::error to_error(const failure& f) {
  return caf::error(1, failure_category, caf::make_message(f.code, f.message));
}

// Errors of other categories (timeouts, dead actors) become node_unavailable.
inline failure to_failure(const caf::error& e, const std::string& rendered) {
  if (e.category() == failure_category && e.context().match_elements<std::string, std::string>())
    return failure{e.context().get_as<std::string>(0), e.context().get_as<std::string>(1)};
  return failure{"node_unavailable", "the node could not answer: " + rendered};
}

}  // namespace hearth
