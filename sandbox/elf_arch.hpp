// Reads an executable's ELF header to tell its architecture, so an offer
// names what it runs on and the node refuses what its host cannot execute.
#pragma once

#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace hearth::sandbox {

struct elf_info {
  std::string arch;  // "x86_64", "aarch64", "i386", "arm", "riscv64", or "unknown:<e_machine>"
  bool is_64bit = false;
  bool little_endian = true;
  bool is_executable = false;  // ET_EXEC or ET_DYN
};

result<elf_info> read_elf_info(const std::string& path);
std::string host_arch();
// The host runs its own architecture and, on x86_64, 32-bit i386 binaries.
bool host_can_run(const elf_info& info);
// The same by name; "script" (a #! file) runs on every host.
bool host_can_run(const std::string& arch);

}  // namespace hearth::sandbox

namespace hearth::sandbox {

// The same, from the first bytes of an executable held in memory.
result<elf_info> read_elf_header(std::string_view bytes);

}  // namespace hearth::sandbox
