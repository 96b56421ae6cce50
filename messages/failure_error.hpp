// Carries a hearth failure across actor boundaries as a caf::error: the
// code's module is the error's category (an atom), its value the code, the
// message the context; and back.
#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "messages/result.hpp"

namespace hearth {

caf::error to_error(const failure& f);
// Errors of other categories (timeouts, dead actors) become node_unavailable.
failure to_failure(const caf::error& e, const std::string& rendered);

}  // namespace hearth
