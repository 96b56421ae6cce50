// An example hearth MCP tool: counts the words, lines and characters of a text.
#include "tools/hearth_tool.hpp"

#include <sstream>

struct count_input {
  std::string text;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(count_input, text)

struct count_output {
  int words = 0, lines = 0, characters = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(count_output, words, lines, characters)

int main(int argc, char** argv) {
  return hearth::tool::tool<count_input, count_output>("word_count", "Counts the words, lines and characters of a text")
      .input_schema(R"({"type":"object","properties":{"text":{"type":"string","maxLength":1000000}},
                        "required":["text"],"additionalProperties":false})")
      .output_schema(R"({"type":"object","properties":{"words":{"type":"integer"},"lines":{"type":"integer"},
                         "characters":{"type":"integer"}},"required":["words","lines","characters"]})")
      .limits({64, 2, 5, false})
      .handler([](const count_input& in) -> hearth::tool::outcome<count_output> {
        count_output out;
        std::istringstream words(in.text);
        for (std::string w; words >> w;) ++out.words;
        for (char c : in.text) out.lines += c == '\n';
        for (unsigned char c : in.text) out.characters += (c & 0xc0) != 0x80;
        if (!in.text.empty() && in.text.back() != '\n') ++out.lines;
        return out;
      })
      .run(argc, argv);
}
