/*
 * An NSS passwd module ("held") whose lookup of a name starting with "held-" waits until the FIFO
 * named by VDAGENT_TEST_NSS_GATE is opened for writing, as a lookup waits for an unreachable LDAP
 * or SSSD server; then, as for every other name, it finds nothing.
 */
#include <fcntl.h>
#include <nss.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum nss_status _nss_held_getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t len, int *errnop) {
  (void)pwd;
  (void)buf;
  (void)len;
  const char *gate = getenv("VDAGENT_TEST_NSS_GATE");
  if (gate && strncmp(name, "held-", 5) == 0) {
    int fd = open(gate, O_RDONLY);
    if (fd >= 0) close(fd);
  }
  *errnop = 0;
  return NSS_STATUS_NOTFOUND;
}
