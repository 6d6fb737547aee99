import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, run } from './exec.js';

/**
 * The system directories libvirtd (running as root) has compiled in, each replaced by one of
 * the test's own inside a private mount namespace, so that nothing on the host is read or left.
 */
const SYSTEM_DIRS = { etc: '/etc/libvirt', run: '/run/libvirt', lib: '/var/lib/libvirt', cache: '/var/cache/libvirt', log: '/var/log/libvirt' } as const;

/** The daemon: its UNIX socket only, no authentication (only root reaches the socket), errors to stderr. */
const LIBVIRTD_CONF = `listen_tls = 0
listen_tcp = 0
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
unix_sock_admin_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:stderr"
`;

/**
 * The QEMU driver without what a container lacks: QEMU runs as root with no security driver, no
 * cgroups (no systemd here), no private /dev namespace, and its output to a plain file instead
 * of virtlogd.
 */
const QEMU_CONF = `user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
`;

/** The accounts Debian's libvirt-daemon-system creates; the QEMU driver looks them up at start. */
const ACCOUNTS = { groups: ['kvm', 'libvirt-qemu'], user: { name: 'libvirt-qemu', group: 'kvm' } } as const;

/** A running libvirtd of the test's own. */
export interface Libvirtd {
  /** The connection URI virsh takes with -c (qemu:///system on the test's socket). */
  uri: string;
  /** Runs virsh on this daemon; resolves with its standard output, rejects with CommandError. */
  virsh(...args: string[]): Promise<string>;
  /** What the daemon printed (its errors and warnings). */
  log(): string;
  /** Destroys the domains still running, ends the daemon and removes what start added to the host. */
  stop(): Promise<void>;
}

/** Whether a user or group name exists (getent). */
async function known(database: 'passwd' | 'group', name: string): Promise<boolean> {
  try {
    await run('getent', [database, name]);
    return true;
  } catch (err) {
    if (err instanceof CommandError && err.status === 2) return false;
    throw err;
  }
}

/** Creates the accounts that are missing; returns an undo that removes exactly those. */
async function ensureAccounts(): Promise<() => Promise<void>> {
  const groups: string[] = [];
  for (const group of ACCOUNTS.groups) {
    if (await known('group', group)) continue;
    await run('groupadd', ['--system', group]);
    groups.push(group);
  }
  const { name, group } = ACCOUNTS.user;
  const user = !(await known('passwd', name));
  if (user) await run('useradd', ['--system', '--no-create-home', '--home-dir', SYSTEM_DIRS.lib, '--shell', '/usr/sbin/nologin', '--gid', group, name]);
  return async () => {
    if (user) await run('userdel', [name]);
    for (const g of groups.reverse()) await run('groupdel', [g]);
  };
}

/** Waits until virsh gets an answer from the daemon, or fails with what the daemon printed. */
async function waitReady(daemon: Libvirtd, exited: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`libvirtd ended at start:\n${daemon.log()}`);
    try {
      await daemon.virsh('version');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`libvirtd did not answer within ${timeoutMs / 1000} s: ${String(err)}\n${daemon.log()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts Debian's libvirtd in the foreground as root, in a private mount namespace where each of
 * its system directories (/etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt,
 * /var/log/libvirt) is a directory under `dir` holding the test's own libvirtd.conf and
 * qemu.conf, and its pid file there too; waits until it answers on its socket, dir/run/libvirt-sock.
 */
export async function startLibvirtd(dir: string): Promise<Libvirtd> {
  const undoAccounts = await ensureAccounts();
  const madeDirs: string[] = [];
  const binds: string[] = [];
  for (const [name, target] of Object.entries(SYSTEM_DIRS)) {
    mkdirSync(join(dir, name), { recursive: true });
    if (!existsSync(target)) {
      mkdirSync(target, { recursive: true });
      madeDirs.push(target);
    }
    binds.push(`mount --bind '${join(dir, name)}' '${target}'`);
  }
  writeFileSync(join(dir, 'etc', 'libvirtd.conf'), LIBVIRTD_CONF);
  writeFileSync(join(dir, 'etc', 'qemu.conf'), QEMU_CONF);
  const uri = `qemu:///system?socket=${join(dir, 'run', 'libvirt-sock')}`;
  // Its pid file too, which would otherwise be /run/libvirtd.pid, shared with any other libvirtd.
  const script = `${binds.join(' && ')} && exec libvirtd --pid-file '${join(dir, 'run', 'libvirtd.pid')}'`;
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const cleanUp = async (): Promise<void> => {
    for (const d of madeDirs.reverse()) rmdirSync(d);
    await undoAccounts();
  };
  const daemon: Libvirtd = {
    uri,
    virsh: (...args) => run('virsh', ['-c', uri, ...args]),
    log: () => output,
    async stop() {
      if (!hasExited()) {
        for (const name of (await daemon.virsh('list', '--name')).split('\n').filter(Boolean)) await daemon.virsh('destroy', name);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await cleanUp();
    },
  };
  try {
    await waitReady(daemon, hasExited, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await cleanUp();
    throw err;
  }
  return daemon;
}

