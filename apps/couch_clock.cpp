#include "apps/couch_clock.hpp"

#include "messages/clock.hpp"

namespace hearth::app {

actors::clock_fn couch_clock() {
  return [] { return unix_ms(); };
}

}  // namespace hearth::app
