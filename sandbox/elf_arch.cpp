#include "sandbox/elf_arch.hpp"

#include <elf.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace hearth::sandbox {
namespace {

std::string machine_name(unsigned machine) {
  switch (machine) {
    case EM_X86_64: return "x86_64";
    case EM_386: return "i386";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv64";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390x";
    default: return "unknown:" + std::to_string(machine);
  }
}

}  // namespace

result<elf_info> read_elf_header(std::string_view bytes) {
  constexpr std::size_t header_size = 20;
  const auto* header = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < header_size || std::memcmp(header, ELFMAG, SELFMAG) != 0)
    return fail(sandbox_errc::not_elf, "not an ELF executable");
  elf_info info;
  info.is_64bit = header[EI_CLASS] == ELFCLASS64;
  info.little_endian = header[EI_DATA] == ELFDATA2LSB;
  auto half = [&](int at) {
    return info.little_endian ? header[at] | header[at + 1] << 8 : header[at] << 8 | header[at + 1];
  };
  unsigned type = static_cast<unsigned>(half(16));
  unsigned machine = static_cast<unsigned>(half(18));
  info.is_executable = type == ET_EXEC || type == ET_DYN;
  info.arch = machine_name(machine);
  return info;
}

result<elf_info> read_elf_info(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(sandbox_errc::file_unreadable, path + ": " + std::strerror(errno));
  char header[20] = {};
  in.read(header, sizeof header);
  auto info = read_elf_header(std::string_view(header, static_cast<std::size_t>(in.gcount())));
  if (!info) return fail(info.error().code, path + " is not an ELF executable");
  return info;
}

std::string host_arch() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  std::string m = u.machine;
  if (m == "i686" || m == "i586") return "i386";
  if (m == "armv7l") return "arm";
  return m;
}

bool host_can_run(const elf_info& info) {
  if (!info.is_executable) return false;
  std::string host = host_arch();
  return info.arch == host || (host == "x86_64" && info.arch == "i386");
}

bool host_can_run(const std::string& arch) {
  if (arch == "script") return true;
  elf_info info;
  info.arch = arch;
  info.is_executable = true;
  return host_can_run(info);
}

}  // namespace hearth::sandbox
