// The host's system tools the sandbox library drives (mkfs.ext4, mount,
// slirp4netns): found in the system directories, never through PATH, and
// run with their output discarded.
#pragma once

#include <string>
#include <vector>

#include "messages/result.hpp"

namespace hearth::sandbox {

// The tool's path, or empty when it is not installed.
std::string find_system_tool(const std::string& name);
// Runs argv (argv[0] a tool's name) to its end; fails unless it exits 0.
result<void> run_system_tool(std::vector<std::string> argv);

}  // namespace hearth::sandbox
