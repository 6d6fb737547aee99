import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cached, keyOf } from './cache.js';
import { run } from './exec.js';
import { buildInitramfs } from './initramfs.js';
import type { Phases } from './phases.js';

/**
 * The guest's Debian release. Debian 13 ships Node.js 20, which the package's
 * `Depends: nodejs (>= 20)` needs (Debian 12 has 18), and systemd 257.
 */
export const GUEST_SUITE = 'trixie';
/**
 * What debootstrap installs beyond the minimal base: systemd as init, udev, D-Bus, Node.js,
 * hwclock (util-linux-extra), which the agent's guest-set-time runs as qemu-ga does, and
 * pam_systemd (libpam-systemd), so that a login is a logind session.
 */
const GUEST_PACKAGES = ['systemd', 'systemd-sysv', 'udev', 'dbus', 'kmod', 'nodejs', 'util-linux-extra', 'libpam-systemd'];
/** Module trees the guest never loads, left out of the image to keep it small. */
const UNUSED_MODULES = /\/kernel\/(sound|drivers\/(media|staging|infiniband|net\/wireless|net\/ethernet|bluetooth|iio|usb|scsi|gpu\/drm\/(amd|i915|nouveau|radeon))|net\/(wireless|bluetooth|mac80211))(\/|$)/;
/** The guest half of the test: started at boot from the data disk (see data-disk.ts). */
const PROBE_UNIT = `[Unit]
Description=vdagent end-to-end probe (the test's half inside the guest)
Requires=dev-vdb.device
After=dev-vdb.device local-fs.target

[Service]
ExecStartPre=/usr/bin/mkdir -p /run/e2e
ExecStartPre=/usr/bin/mount -o ro /dev/vdb /run/e2e
ExecStart=/usr/bin/node /run/e2e/probe.mjs
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;
/** DHCP on any Ethernet NIC the guest is given (the libvirt test's user-mode network), by systemd-networkd. */
const NETWORK = `[Match]
Name=en*

[Network]
DHCP=ipv4
`;

/** A bootable guest: kernel, initramfs and an ext4 root image, with the versions they came from. */
export interface GuestImage {
  kernel: string;
  initrd: string;
  rootfs: string;
  versions: Record<string, string>;
}

/** The candidate version apt would install, after an `apt-get update` if apt knows none yet. */
async function candidate(name: string): Promise<string> {
  const find = async (): Promise<string | undefined> => /Candidate: (\S+)/.exec(await run('apt-cache', ['policy', name]))?.[1];
  let version = await find();
  if (!version || version === '(none)') {
    await run('apt-get', ['update', '-qq']);
    version = await find();
  }
  if (!version || version === '(none)') throw new Error(`apt knows no package ${name}`);
  return version;
}

/** The kernel package linux-image-amd64 depends on now, e.g. linux-image-6.1.0-56-amd64. */
async function kernelPackage(): Promise<string> {
  await candidate('linux-image-amd64');
  const depends = await run('apt-cache', ['depends', '--important', 'linux-image-amd64']);
  const name = /Depends: (linux-image-\S+)/.exec(depends)?.[1];
  if (!name) throw new Error(`linux-image-amd64 depends on no kernel:\n${depends}`);
  return name;
}

/** The Debian mirror apt uses here, for debootstrap. */
async function mirror(): Promise<string> {
  const policy = await run('apt-cache', ['policy']);
  return /(https?:\/\/\S+\/debian)\/? \S+\/main /.exec(policy)?.[1] ?? 'http://deb.debian.org/debian';
}

/** The date of the suite's current Release file: a new point release means a new image. */
async function suiteDate(base: string): Promise<string> {
  const text = await (await fetch(`${base}/dists/${GUEST_SUITE}/InRelease`, { signal: AbortSignal.timeout(30_000) })).text();
  const date = /^Date: (.+)$/m.exec(text)?.[1];
  if (!date) throw new Error(`no Date in ${base}/dists/${GUEST_SUITE}/InRelease`);
  return date;
}

/** Turns the debootstrapped tree into the test guest: modules, fstab, the probe unit, DHCP, less apt. */
async function configureRoot(rootfs: string, kernelTree: string, kernelVersion: string): Promise<void> {
  const modules = join(kernelTree, 'lib', 'modules', kernelVersion);
  cpSync(modules, join(rootfs, 'usr', 'lib', 'modules', kernelVersion), {
    recursive: true,
    filter: (src) => !UNUSED_MODULES.test(`/${relative(modules, src)}`),
  });
  writeFileSync(join(rootfs, 'etc', 'hostname'), 'vdagent-e2e\n');
  writeFileSync(join(rootfs, 'etc', 'fstab'), '/dev/vda / ext4 rw,errors=remount-ro 0 1\n');
  const units = join(rootfs, 'etc', 'systemd', 'system');
  writeFileSync(join(units, 'vdagent-e2e-probe.service'), PROBE_UNIT);
  mkdirSync(join(units, 'multi-user.target.wants'), { recursive: true });
  symlinkSync('/etc/systemd/system/vdagent-e2e-probe.service', join(units, 'multi-user.target.wants', 'vdagent-e2e-probe.service'));
  mkdirSync(join(rootfs, 'etc', 'systemd', 'network'), { recursive: true });
  writeFileSync(join(rootfs, 'etc', 'systemd', 'network', '80-e2e.network'), NETWORK);
  await run('chroot', [rootfs, 'systemctl', 'enable', '--quiet', 'systemd-networkd.service']);
  // Timers that would only compete for the CPU during the test.
  for (const timer of ['apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'fstrim.timer']) {
    rmSync(join(units, timer), { force: true });
    symlinkSync('/dev/null', join(units, timer));
  }
  for (const dir of [join(rootfs, 'var', 'cache', 'apt', 'archives'), join(rootfs, 'var', 'lib', 'apt', 'lists')]) {
    for (const name of readdirSync(dir)) if (name.endsWith('.deb') || name.endsWith('_Packages') || name.endsWith('Release')) rmSync(join(dir, name));
  }
}

/**
 * The guest image, from the cache when the kernel, busybox and suite versions and this recipe are
 * unchanged; otherwise built: `apt-get download` of the kernel linux-image-amd64 resolves to and
 * of busybox-static, a debootstrapped Debian root with systemd as init, a busybox initramfs that
 * mounts it, and an ext4 image made from the tree with `mkfs.ext4 -d`.
 */
export async function guestImage(root: string, phases: Phases): Promise<GuestImage> {
  if (process.getuid?.() !== 0) throw new Error('building the guest needs root (debootstrap, chroot, mkfs.ext4 -d of a root-owned tree)');
  const { kernel, base, versions } = await phases.run('resolve package versions', async () => {
    const kernel = await kernelPackage();
    const base = await mirror();
    const versions = {
      kernel: `${kernel} ${await candidate(kernel)}`,
      busybox: `busybox-static ${await candidate('busybox-static')}`,
      suite: `${GUEST_SUITE} ${await suiteDate(base)}`,
      packages: GUEST_PACKAGES.join(' '),
    };
    return { kernel, base, versions };
  });
  const recipe = readFileSync(fileURLToPath(import.meta.url), 'utf8') + readFileSync(fileURLToPath(new URL('initramfs.ts', import.meta.url)), 'utf8');
  const kernelVersion = kernel.replace(/^linux-image-/, '');
  const dir = await cached(root, 'guest', keyOf(...Object.values(versions), recipe), async (dir) => {
    const work = join(dir, 'work');
    const rootfs = join(work, 'rootfs');
    mkdirSync(work);
    await phases.run('download kernel and busybox', () =>
      run('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', kernel, 'busybox-static'], { cwd: work }),
    );
    await phases.run(`debootstrap Debian ${GUEST_SUITE}`, () =>
      run('debootstrap', ['--variant=minbase', `--include=${GUEST_PACKAGES.join(',')}`, GUEST_SUITE, rootfs, base]),
    );
    await phases.run('kernel, initramfs and root image', async () => {
      const debs = readdirSync(work).filter((n) => n.endsWith('.deb'));
      const kernelDeb = debs.find((n) => n.startsWith(`${kernel}_`));
      const busyboxDeb = debs.find((n) => n.startsWith('busybox-static_'));
      if (!kernelDeb || !busyboxDeb) throw new Error(`apt-get download left ${debs.join(', ')}`);
      await run('dpkg-deb', ['-x', join(work, kernelDeb), join(work, 'kernel')]);
      await run('dpkg-deb', ['-x', join(work, busyboxDeb), join(work, 'busybox')]);
      cpSync(join(work, 'kernel', 'boot', `vmlinuz-${kernelVersion}`), join(dir, 'vmlinuz'));
      await configureRoot(rootfs, join(work, 'kernel'), kernelVersion);
      await run('chroot', [rootfs, 'depmod', kernelVersion]);
      await buildInitramfs(rootfs, kernelVersion, join(work, 'busybox'), work, join(dir, 'initrd.img'));
      await run('mkfs.ext4', ['-q', '-F', '-L', 'vdagent-e2e', '-d', rootfs, join(dir, 'rootfs.img'), '4G']);
    });
    writeFileSync(join(dir, 'versions.json'), JSON.stringify(versions, null, 2) + '\n');
    rmSync(work, { recursive: true, force: true });
  });
  return { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), rootfs: join(dir, 'rootfs.img'), versions };
}
