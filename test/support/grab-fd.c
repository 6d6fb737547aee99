// grab-fd NEEDLE FD: what any user may do to a process of their own. Watches /proc for a process
// (of the same user: others are refused) whose command line contains NEEDLE, takes a duplicate of
// its descriptor FD with pidfd_getfd(2) (allowed by ptrace's rules: same user, dumpable), prints
// "held" and keeps the duplicate until its standard input ends.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
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

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int target = atoi(argv[2]);
  pid_t self = getpid();
  for (;;) {
    DIR *proc = opendir("/proc");
    if (!proc) return 1;
    for (struct dirent *e; (e = readdir(proc)) != NULL;) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == self) continue;
      if (!matches(e->d_name, argv[1])) continue;
      int pidfd = (int)syscall(SYS_pidfd_open, atoi(e->d_name), 0);
      if (pidfd < 0) continue;
      int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
      close(pidfd);
      if (fd < 0) continue;
      closedir(proc);
      printf("held\n");
      fflush(stdout);
      char c;
      while (read(0, &c, 1) > 0) {
      }
      return 0;
    }
    closedir(proc);
  }
}
