// hearth_sandbox: executable architecture detection.
#include <catch2/catch.hpp>

#include <fstream>

#include "sandbox/elf_arch.hpp"
#include "support/process.hpp"

using namespace hearth::sandbox;

TEST_CASE("the host's own binaries are runnable ELF of its architecture", "[elf]") {
  auto info = read_elf_info("/bin/true");
  REQUIRE(info);
  CHECK(info->arch == host_arch());
  CHECK(info->is_executable);
  CHECK(host_can_run(*info));
}

TEST_CASE("non-ELF and foreign-architecture files are refused", "[elf]") {
  hearth::test::temp_dir dir;
  std::ofstream(dir.file("script")) << "#!/bin/sh\necho hi\n";
  auto script = read_elf_info(dir.file("script"));
  REQUIRE_FALSE(script);
  CHECK(script.error().code == "not_elf");

  // A minimal little-endian 64-bit ELF header for a machine the host is not.
  std::string header(64, '\0');
  header.replace(0, 4, "\x7f" "ELF");
  header[4] = 2;      // ELFCLASS64
  header[5] = 1;      // little endian
  header[16] = 2;     // ET_EXEC
  header[18] = host_arch() == "aarch64" ? 62 : static_cast<char>(183);  // EM_X86_64 or EM_AARCH64
  std::ofstream(dir.file("foreign"), std::ios::binary) << header;
  auto foreign = read_elf_info(dir.file("foreign"));
  REQUIRE(foreign);
  CHECK(foreign->arch != host_arch());
  CHECK_FALSE(host_can_run(*foreign));
  CHECK_FALSE(read_elf_info(dir.file("missing")).ok());
}
