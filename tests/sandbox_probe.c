/* Runs inside the sandbox and tries what a hostile program would. Each
 * command prints one line: "ok ..." when the action succeeded, or
 * "denied errno=N (name)" when the system refused it. The suite asserts
 * each outcome (in the spirit of bubblewrap's tests/try-syscall.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <net/ethernet.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <mqueue.h>
#include <sys/mount.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(int rc) {
  if (rc < 0) printf("denied errno=%d (%s)\n", errno, strerror(errno));
  else printf("ok\n");
  return 0;
}

/* An abstract unix socket address: no file, reachable by name within a network namespace. */
static socklen_t abstract_address(struct sockaddr_un* a, const char* name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(name) < sizeof a->sun_path - 2 ? strlen(name) : sizeof a->sun_path - 2;
  memcpy(a->sun_path + 1, name, n);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static void status_line(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, key, strlen(key)) == 0) fputs(line, stdout);
  if (f) fclose(f);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* cmd = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!strcmp(cmd, "read")) return report(open(arg, O_RDONLY));
  /* What a run may leave in its IPC namespace: a SysV shared memory
   * segment and a semaphore set, and a POSIX message queue where Landlock
   * lets it make one (it does not: the queue is a file of the mqueue
   * filesystem), each under key/name arg. */
  if (!strcmp(cmd, "ipc-leave")) {
    char name[64];
    snprintf(name, sizeof name, "/%s", arg);
    mq_open(name, O_CREAT | O_RDWR, 0600, NULL);
    key_t key = (key_t)strtol(arg + strcspn(arg, "0123456789"), NULL, 10);
    if (shmget(key, 4096, IPC_CREAT | 0600) < 0 || semget(key, 1, IPC_CREAT | 0600) < 0) return report(-1);
    return report(0);
  }
  if (!strcmp(cmd, "ipc-find")) {  /* "ok" when any of them is still there */
    char name[64];
    snprintf(name, sizeof name, "/%s", arg);
    key_t key = (key_t)strtol(arg + strcspn(arg, "0123456789"), NULL, 10);
    int found = mq_open(name, O_RDONLY) != (mqd_t)-1 || shmget(key, 0, 0) >= 0 || semget(key, 0, 0) >= 0;
    if (!found) errno = ENOENT;
    return report(found ? 0 : -1);
  }
  if (!strcmp(cmd, "write")) {
    int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    return report(fd < 0 ? -1 : (int)write(fd, "x", 1));
  }
  if (!strcmp(cmd, "socket")) return report(socket(AF_INET, SOCK_STREAM, 0));
  if (!strcmp(cmd, "connect")) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return report(fd);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(arg))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return report(connect(fd, (struct sockaddr*)&a, sizeof a));
  }
  if (!strcmp(cmd, "tcp") && argc > 4) {  /* tcp A B C: listen on A and B, connect to each, bind C */
    int ports[3] = {atoi(argv[2]), atoi(argv[3]), atoi(argv[4])};
    for (int i = 0; i < 2; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)ports[i])};
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      int rc = bind(fd, (struct sockaddr*)&a, sizeof a);
      if (rc == 0) rc = listen(fd, 4);
      printf("listen %d: ", ports[i]);
      report(rc);
    }
    for (int i = 0; i < 2; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)ports[i])};
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      printf("connect %d: ", ports[i]);
      report(connect(fd, (struct sockaddr*)&a, sizeof a));
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)ports[2])};
    printf("bind %d: ", ports[2]);
    return report(bind(fd, (struct sockaddr*)&a, sizeof a));
  }
  if (!strcmp(cmd, "fds")) {  /* the descriptors it was started with */
    for (int fd = 0; fd < 4096; ++fd)
      if (fcntl(fd, F_GETFD) >= 0) printf("%d ", fd);
    printf("\n");
    return 0;
  }
  if (!strcmp(cmd, "abstract-listen")) {  /* listens, says so, then waits to be stopped */
    struct sockaddr_un a;
    socklen_t len = abstract_address(&a, arg);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr*)&a, len) < 0 || listen(fd, 1) < 0) return report(-1);
    printf("listening\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (!strcmp(cmd, "abstract-connect")) {
    struct sockaddr_un a;
    socklen_t len = abstract_address(&a, arg);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return report(fd);
    return report(connect(fd, (struct sockaddr*)&a, len));
  }
  if (!strcmp(cmd, "forkbomb")) {
    int made = 0;
    for (int i = 0; i < 100000; ++i) {
      pid_t p = fork();
      if (p == 0) { pause(); _exit(0); }
      if (p < 0) break;
      ++made;
    }
    printf("forked %d\n", made);
    return 0;
  }
  if (!strcmp(cmd, "alloc")) {
    size_t mb = (size_t)atol(arg);
    for (size_t i = 0; i < mb; ++i) {
      char* p = malloc(1 << 20);
      if (!p) { printf("alloc failed at %zu MB\n", i); return 3; }
      memset(p, 1, 1 << 20);
    }
    printf("allocated %zu MB\n", mb);
    return 0;
  }
  if (!strcmp(cmd, "spin")) { for (volatile unsigned long i = 0;; ++i) {} }
  if (!strcmp(cmd, "sleep")) { sleep((unsigned)atoi(arg)); printf("woke\n"); return 0; }
  if (!strcmp(cmd, "print")) {
    long n = atol(arg);
    char block[4096];
    memset(block, 'o', sizeof block);
    for (long done = 0; done < n; done += (long)sizeof block) fwrite(block, 1, sizeof block, stdout);
    return 0;
  }
  if (!strcmp(cmd, "whoami")) {
    char host[64] = "";
    gethostname(host, sizeof host);
    printf("uid=%d euid=%d gid=%d pid=%d host=%s\n", getuid(), geteuid(), getgid(), getpid(), host);
    status_line("CapEff");
    status_line("NoNewPrivs");
    status_line("Seccomp:");
    return 0;
  }
  if (!strcmp(cmd, "mount")) return report(mount("tmpfs", "/tmp", "tmpfs", 0, NULL));
  if (!strcmp(cmd, "ptrace")) return report((int)ptrace(PTRACE_TRACEME, 0, NULL, NULL));
  if (!strcmp(cmd, "unshare")) return report(unshare(CLONE_NEWUSER));
  if (!strcmp(cmd, "kill1")) return report(kill(1, SIGKILL));
  /* Escapes a hostile program tries, one command each. */
  if (!strcmp(cmd, "ptrace-init")) return report((int)ptrace(PTRACE_ATTACH, 1, NULL, NULL));
  if (!strcmp(cmd, "ptrace-sibling")) {
    pid_t child = fork();
    if (child == 0) { pause(); _exit(0); }
    int rc = (int)ptrace(PTRACE_ATTACH, child, NULL, NULL);
    int saved = errno;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    errno = saved;
    return report(rc);
  }
  if (!strcmp(cmd, "umount")) return report(umount2("/", MNT_DETACH));
  if (!strcmp(cmd, "pivot_root")) return report((int)syscall(SYS_pivot_root, "/tmp", "/tmp"));
  if (!strcmp(cmd, "setns")) {
    int fd = open("/proc/1/ns/mnt", O_RDONLY);
    return report(fd < 0 ? fd : setns(fd, 0));
  }
  if (!strcmp(cmd, "keyring"))
    return report((int)syscall(SYS_add_key, "user", "probe", "secret", 6, KEY_SPEC_SESSION_KEYRING));
  if (!strcmp(cmd, "perf")) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    return report((int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  }
  if (!strcmp(cmd, "userfaultfd")) return report((int)syscall(SYS_userfaultfd, 0));
  if (!strcmp(cmd, "bpf")) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    return report((int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
  }
  if (!strcmp(cmd, "raw-socket")) return report(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  if (!strcmp(cmd, "packet-socket")) return report(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
  if (!strcmp(cmd, "setuid")) return report(setuid(0));
  if (!strcmp(cmd, "setgid")) return report(setgid(0));
  if (!strcmp(cmd, "sysctl")) {
    int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
    return report(fd < 0 ? fd : (int)write(fd, "owned\n", 6));
  }
  if (!strcmp(cmd, "procs")) { /* the processes it can see in /proc */
    DIR* d = opendir("/proc");
    int n = 0;
    for (struct dirent* e; d && (e = readdir(d));) n += atoi(e->d_name) > 0;
    if (d) closedir(d);
    printf("ok %d\n", n);
    return 0;
  }
  if (!strcmp(cmd, "link")) { /* a hard link to a file outside the writable layer, then written */
    if (link(arg, "/tmp/linked") != 0) return report(-1);
    return report(open("/tmp/linked", O_WRONLY | O_APPEND));
  }
  if (!strcmp(cmd, "symlink")) { /* a symlink in the writable layer to a file it may not read */
    unlink("/tmp/sym");
    if (symlink(arg, "/tmp/sym") != 0) return report(-1);
    return report(open("/tmp/sym", O_RDONLY));
  }
  if (!strcmp(cmd, "tiocsti")) { /* pushes a byte into its own controlling terminal's input */
    pid_t child = fork();
    if (child == 0) {
      int master = posix_openpt(O_RDWR | O_NOCTTY);
      if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 || setsid() < 0) _exit(report(-1));
      int slave = open(ptsname(master), O_RDWR);
      if (slave < 0) _exit(report(-1));
      ioctl(slave, TIOCSCTTY, 0);
      char c = 'x';
      _exit(report(ioctl(slave, TIOCSTI, &c)));
    }
    waitpid(child, NULL, 0);
    return 0;
  }
  if (!strcmp(cmd, "exit")) return atoi(arg);
  if (!strcmp(cmd, "segv")) { volatile int* p = NULL; *p = 1; return 0; }
  if (!strcmp(cmd, "cat")) {
    char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
    return 0;
  }
  if (!strcmp(cmd, "env")) { const char* v = getenv(arg); printf("%s\n", v ? v : "(unset)"); return 0; }
  if (!strcmp(cmd, "shell")) { execl("/bin/sh", "sh", "-c", arg, (char*)NULL); return report(-1); }
  return 2;
}
