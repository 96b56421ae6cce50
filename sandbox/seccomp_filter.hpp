// The seccomp-BPF program every sandboxed process runs under: a wrong
// architecture is killed; kernel-administration, namespace, tracing and
// mount calls fail with EPERM, and so do the ioctls that type into a
// terminal (TIOCSTI, TIOCLINUX); without network only AF_UNIX sockets open.
// Built in the parent (it allocates); installed by the child with one prctl.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace hearth::sandbox {

std::vector<sock_filter> build_seccomp_filter(bool allow_network);

}  // namespace hearth::sandbox
