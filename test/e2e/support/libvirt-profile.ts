/**
 * The admin actions the shipped libvirt profile enables (profiles/libvirt/actions), each with
 * one command it enables: the test waits until the agent's guest-info shows that command
 * enabled. virsh shutdown --mode agent, domtime, domfsfreeze/domfsthaw, domfstrim, guestvcpus,
 * set-user-sshkeys, set-user-password, dompmsuspend.
 */
export const LIBVIRT_ACTIONS: Readonly<Record<string, string>> = {
  shutdown: 'guest-shutdown',
  'set-time': 'guest-set-time',
  fsfreeze: 'guest-fsfreeze-freeze',
  fstrim: 'guest-fstrim',
  'set-vcpus': 'guest-set-vcpus',
  'ssh-keys': 'guest-ssh-add-authorized-keys',
  'set-user-password': 'guest-set-user-password',
  suspend: 'guest-suspend-ram',
};
