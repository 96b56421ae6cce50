// A guest terminal's text frames (the WebSocket at /couch/guest/terminal):
// never a throw; a resize is only ever 1 to 1000 columns and rows.
#include "protocols/couch_bodies.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto size_asked = hearth::protocols::read_terminal_resize(hearth::fuzz::text_of(data, size));
  if (size_asked)
    hearth::fuzz::expect(size_asked->cols >= 1 && size_asked->cols <= 1000 && size_asked->rows >= 1 &&
                         size_asked->rows <= 1000);
  return 0;
}
