// grab-fd NEEDLE FD [WRAP]: what any user may do to a process of their own. Watches /proc for a
// process (of the same user: others are refused) whose command line contains NEEDLE, takes a
// duplicate of its descriptor FD with pidfd_getfd(2) (allowed by ptrace's rules: same user,
// dumpable), prints "held" and keeps the duplicate until its standard input ends.
// With WRAP (a byte count), FD is taken as an output and what the process writes there is wrapped
// in a JSON array of WRAP bytes of empty objects: the process is stopped while `[{},{},...,{},` is
// written, continued, and once it ended `]` is written.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/** Whether /proc/PID/cmdline (its NULs read as spaces) contains needle. */
static int matches(const char *pid, const char *needle) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  for (ssize_t i = 0; i < n; i++) if (buf[i] == '\0') buf[i] = ' ';
  buf[n] = '\0';
  return strstr(buf, needle) != NULL;
}

/** Writes all of buf, or fails. */
static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w <= 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/** Wraps what process `pid` (open as `pidfd`) writes on `fd` in an array of `bytes` bytes of `{},`. */
static int wrap(int pid, int pidfd, int fd, long bytes) {
  char *prefix = malloc((size_t)bytes);
  if (!prefix) return -1;
  prefix[0] = '[';
  for (long i = 1; i + 3 <= bytes; i += 3) memcpy(prefix + i, "{},", 3);
  long n = 1 + (bytes - 1) / 3 * 3;
  kill(pid, SIGSTOP);
  int err = write_all(fd, prefix, (size_t)n);
  kill(pid, SIGCONT);
  free(prefix);
  if (err) return -1;
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  if (poll(&p, 1, -1) != 1) return -1;
  return write_all(fd, "]", 1);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) return 2;
  long wrapped = argc == 4 ? atol(argv[3]) : 0;
  int target = atoi(argv[2]);
  pid_t self = getpid();
  for (;;) {
    DIR *proc = opendir("/proc");
    if (!proc) return 1;
    for (struct dirent *e; (e = readdir(proc)) != NULL;) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == self) continue;
      if (!matches(e->d_name, argv[1])) continue;
      int pid = atoi(e->d_name);
      int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
      if (pidfd < 0) continue;
      int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
      if (fd < 0) {
        close(pidfd);
        continue;
      }
      closedir(proc);
      printf("held\n");
      fflush(stdout);
      if (wrapped > 0) {
        if (wrap(pid, pidfd, fd, wrapped)) return 1;
        close(fd);
      }
      close(pidfd);
      char c;
      while (read(0, &c, 1) > 0) {
      }
      return 0;
    }
    closedir(proc);
  }
}
