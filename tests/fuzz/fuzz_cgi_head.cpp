// The CGI response head a sandboxed program writes (RFC 3875 §6.2): any
// bytes either parse to a status and headers with the body inside the
// output, or fail with an error.
#include "protocols/cgi_head.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto output = hearth::fuzz::text_of(data, size);
  auto head = hearth::protocols::parse_cgi_head(output);
  if (!head) return 0;
  hearth::fuzz::expect(head->body_offset <= output.size());
  hearth::fuzz::expect(head->status >= 100 && head->status <= 999);
  for (const auto& [name, value] : head->headers) {
    hearth::fuzz::expect(!name.empty());
    hearth::fuzz::expect(name.find_first_of("\r\n:") == std::string::npos);
    hearth::fuzz::expect(value.find_first_of("\r\n") == std::string::npos);
  }
  return 0;
}
