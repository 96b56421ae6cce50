// The protocol between the node and a warm sandbox's zygote over their
// SOCK_SEQPACKET pair: one request (a header, the strings, the run's six
// descriptors attached), one reply (0 and the run's pidfd, or an errno).
// System calls only: the zygote side runs where no allocation is safe.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#include "sandbox/launch_plan.hpp"

namespace hearth::sandbox::zygote {

using detail::rlimit_count;

// What a request asks the zygote for: a run of its own, or a run slot (a
// resident init in fresh pid, mount and ipc namespaces that then takes runs
// on a socket of its own, scrubbing itself after each; see warm_sandbox.hpp).
enum request_kind : std::uint32_t { run_request = 0, slot_request = 1 };

// A request: this header, then the path to execute and argc + envc
// NUL-terminated strings, with the run's six descriptors attached (in the
// order of request_fd). A slot request has no strings and slot_fd's three.
// A slot takes run requests on its socket in the same form.
struct request_header {
  std::uint32_t kind;
  std::uint32_t argc, envc;
  std::uint32_t terminal;  // 1: stdin is a pty's slave, to become the controlling terminal
  std::uint32_t own_netns;  // 1: the run gets a network namespace of its own
  std::uint64_t rlimits[rlimit_count][2];  // soft, hard
  char tmpfs_options[64];  // NUL-terminated
};
enum request_fd { fd_stdin, fd_stdout, fd_stderr, fd_status, fd_errpipe, fd_sync, fd_count };
enum slot_fd { slot_socket, slot_errpipe, slot_sync, slot_fd_count };

// A slot's messages to the node on its socket: slot_clean (one byte) each
// time it is empty and ready for a run; a reply (with the workload's pidfd)
// to each run request. A slot that finds itself not clean after a run exits.
constexpr char slot_clean = 'c';

// The zygote's answer: 0 and the run's pidfd attached, or an errno.
struct reply {
  int err;
};

constexpr std::size_t max_request = 160 * 1024;  // below the socket's default send buffer
constexpr std::size_t max_strings = 8192;
// Processes of concurrent runs share the zygote's user namespace, where
// RLIMIT_NPROC counts them together; each run's own bound is its cgroup.
constexpr rlim_t shared_nproc = 4096;

// One message with up to max_fds descriptors (any beyond are closed).
struct received_message {
  ssize_t size = -1;
  int fds[fd_count];
  int fd_total = 0;
  bool truncated = false;
};
received_message receive(int sock, void* buf, std::size_t size, int max_fds);

}  // namespace hearth::sandbox::zygote
