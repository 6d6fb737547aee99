/*
 * Holds one write(2) inside the kernel: its source page is missing and registered with
 * userfaultfd, so the write waits in the page fault, holding its filesystem's write protection,
 * and the file's lock, until a line arrives on standard input. A FIFREEZE of that filesystem, and
 * another write to the file, wait just as long. `held-write FILE` empties FILE first;
 * `held-write FILE append` writes at its end. Prints "held" once the write waits, "released" once
 * it is done.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *page;
static long size;
static int out;

static void *writer(void *unused) {
  (void)unused;
  if (write(out, page, size) != size) {
    perror("write");
    exit(1);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) return 2;
  size = sysconf(_SC_PAGESIZE);
  // "append": the write goes at the end of the file as it is, whose first bytes stay readable.
  int append = argc == 3 && argv[2][0] == 'a';
  out = open(argv[1], append ? O_WRONLY | O_APPEND : O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
  struct uffdio_api api = {.api = UFFD_API};
  if (out < 0 || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0) return perror("setup"), 1;
  page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct uffdio_register reg = {.range = {(unsigned long)page, size}, .mode = UFFDIO_REGISTER_MODE_MISSING};
  if (page == MAP_FAILED || data == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) return perror("register"), 1;
  pthread_t thread;
  pthread_create(&thread, NULL, writer, NULL);
  struct uffd_msg msg;
  if (read(uffd, &msg, sizeof msg) != sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT) return perror("fault"), 1;
  puts("held");
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) { /* end of input releases too */ }
  struct uffdio_copy copy = {.dst = (unsigned long)page, .src = (unsigned long)data, .len = size};
  if (ioctl(uffd, UFFDIO_COPY, &copy) < 0) return perror("copy"), 1;
  pthread_join(thread, NULL);
  puts("released");
  return 0;
}
