// A warm sandbox's zygote: the process that entered the sandbox's namespaces
// and root once and then serves run requests (zygote_wire.hpp), cloning each
// run into new pid, mount and ipc namespaces of its own (or, in a shared
// tree, its own), confined as a cold launch is. System calls only: it runs
// in a freshly cloned process.
#pragma once

#include "sandbox/launch_plan.hpp"

namespace hearth::sandbox::zygote {

[[noreturn]] void zygote_main(const detail::plan& p, bool shared_tree, int sync_fd, int err_fd, int sock);

}  // namespace hearth::sandbox::zygote
