// The couch clock of the test build of the CLI (hearth_test_clock): the wall
// clock plus the milliseconds in the file HEARTH_TEST_CLOCK_OFFSET_FILE
// names, read at every tick. Never linked into the hearth binary.
#include <cstdlib>
#include <fstream>
#include <string>

#include "apps/couch_clock.hpp"
#include "messages/clock.hpp"

namespace hearth::app {

actors::clock_fn couch_clock() {
  const char* file = std::getenv("HEARTH_TEST_CLOCK_OFFSET_FILE");
  std::string path = file ? file : "";
  return [path] {
    long long offset = 0;
    if (!path.empty()) std::ifstream(path) >> offset;
    return unix_ms() + offset;
  };
}

}  // namespace hearth::app
