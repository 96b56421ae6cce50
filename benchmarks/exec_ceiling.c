/* The most requests per second any server that starts a fresh process per
 * request could answer with this handler on this machine: the CPU the
 * handler's own process costs (execve, its start-up, its work, its exit),
 * measured over a run of spawns, divided into the machine's cores. The
 * server's own work (fork, pipes, parsing, isolation) only lowers it.
 *
 * Usage: exec_ceiling HANDLER [RUNS]   prints "<ms per exec> <req/s ceiling>" */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exec_ceiling HANDLER [RUNS]\n");
    return 2;
  }
  long runs = argc > 2 ? atol(argv[2]) : 2000;
  char* args[] = {argv[1], NULL};
  for (long i = 0; i < runs; ++i) {
    int out[2];
    if (pipe(out) != 0) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    pid_t pid;
    int failed = posix_spawn(&pid, argv[1], &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (failed) {
      fprintf(stderr, "exec_ceiling: cannot start %s\n", argv[1]);
      return 1;
    }
    char buf[4096];
    while (read(out[0], buf, sizeof buf) > 0) {
    }
    close(out[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "exec_ceiling: %s failed\n", argv[1]);
      return 1;
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  double secs = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  double per_exec = secs / (double)runs;
  printf("%.3f %.0f\n", per_exec * 1e3, (double)sysconf(_SC_NPROCESSORS_ONLN) / per_exec);
  return 0;
}
