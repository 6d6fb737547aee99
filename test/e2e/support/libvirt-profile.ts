/**
 * The admin actions libvirt's agent commands use, each with one command it enables (the test
 * waits until the agent's guest-info shows that command enabled): virsh shutdown --mode agent,
 * domtime, domfsfreeze/domfsthaw, domfstrim, guestvcpus, set-user-sshkeys, set-user-password,
 * dompmsuspend.
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

/**
 * The sandbox rights those actions need, as a drop-in for vdagent.service: the clock and the RTC
 * (set-time, hwclock: the unit's @system-service filter leaves out the @clock system calls),
 * CAP_SYS_ADMIN (FIFREEZE, FITRIM), writing /etc (chpasswd) and a user's
 * ~/.ssh as that user, and /sys (a CPU's online file).
 */
export const LIBVIRT_RIGHTS = `[Service]
ProtectClock=no
SystemCallFilter=@clock
DeviceAllow=char-rtc rw
CapabilityBoundingSet=CAP_SYS_TIME CAP_SYS_ADMIN CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE
ReadWritePaths=/etc /root
ProtectKernelTunables=no
`;
