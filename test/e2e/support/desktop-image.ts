import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cached, keyOf } from './cache.js';
import { run } from './exec.js';
import type { GuestImage } from './guest-image.js';
import type { Phases } from './phases.js';

/** The user logged in on seat0 in the desktop guest. */
export const DESKTOP_USER = { name: 'desktop', uid: 1000 } as const;
/** The X display the desktop guest's session runs on. */
export const DESKTOP_DISPLAY = ':0';
/**
 * What the desktop guest adds to the base guest: Xorg (its modesetting driver and the qxl one),
 * xinit to start it, a plain window manager with one font, the user's D-Bus (through which
 * Debian's Xsession hands DISPLAY to the user's systemd manager), xclip as the guest application,
 * and the libraries the agent's X11 modules load (the package only recommends them).
 */
const DESKTOP_PACKAGES = ['xserver-xorg-core', 'xserver-xorg-video-qxl', 'xinit', 'openbox', 'fonts-dejavu-core', 'dbus-user-session', 'xclip', 'libx11-6', 'libxfixes3', 'x11-xserver-utils'];
/**
 * The automatic login: a PAM session of the user on tty1 (pam_systemd makes it logind's session on
 * seat0, of type x11 from XDG_SESSION_TYPE) in which xinit starts Xorg on the same VT, rootless
 * through logind, and Debian's Xsession with the window manager, as `startx` after a console login
 * does. As there, logind does not know the display (only a PAM_XDISPLAY would tell it): the agent
 * finds DISPLAY where Xsession put it, in the user's systemd manager. No authorization file: any
 * local client (the test's xclip) may connect.
 */
const SESSION_UNIT = `[Unit]
Description=vdagent end-to-end desktop: ${DESKTOP_USER.name} logged in on seat0 with Xorg
After=systemd-user-sessions.service systemd-logind.service getty-pre.target
Conflicts=getty@tty1.service

[Service]
User=${DESKTOP_USER.name}
PAMName=login
TTYPath=/dev/tty1
StandardInput=tty
StandardOutput=journal
UtmpIdentifier=tty1
UtmpMode=user
Environment=XDG_SESSION_TYPE=x11 XDG_SESSION_CLASS=user XDG_SEAT=seat0 XDG_VTNR=1
WorkingDirectory=~
ExecStart=/usr/bin/xinit /etc/X11/Xsession -- /usr/bin/Xorg ${DESKTOP_DISPLAY} vt1 -keeptty -nolisten tcp -noreset
Restart=on-failure

[Install]
WantedBy=graphical.target
`;

/**
 * The desktop variant of the guest: the base image's root copied into the cache entry
 * `desktop-KEY` (KEY from the base image's and this recipe), with {@link DESKTOP_PACKAGES}
 * installed by apt in a chroot of the loop-mounted copy, the user {@link DESKTOP_USER} and the
 * unit that logs them in at boot; kernel and initramfs are the base image's.
 */
export async function desktopImage(root: string, base: GuestImage, phases: Phases): Promise<GuestImage> {
  const recipe = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const dir = await cached(root, 'desktop', keyOf(basename(dirname(base.rootfs)), recipe), async (dir) => {
    const rootfs = join(dir, 'rootfs.img');
    await phases.run('desktop: copy the base root image', () => run('cp', ['--sparse=always', base.rootfs, rootfs]));
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    await run('mount', ['-o', 'loop', rootfs, mnt]);
    const mounted = [mnt];
    try {
      for (const [what, where, type] of [['proc', 'proc', 'proc'], ['sysfs', 'sys', 'sysfs'], ['/dev', 'dev', '']] as const) {
        const target = join(mnt, where);
        await run('mount', type ? ['-t', type, what, target] : ['--bind', what, target]);
        mounted.unshift(target);
      }
      // apt needs the host's name service in the chroot; no daemon may start there.
      const resolv = join(mnt, 'etc', 'resolv.conf');
      const kept = existsSync(resolv) ? readFileSync(resolv) : undefined;
      rmSync(resolv, { force: true });
      copyFileSync('/etc/resolv.conf', resolv);
      writeFileSync(join(mnt, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8' };
      await phases.run('desktop: apt-get install Xorg, openbox, xclip', async () => {
        await run('chroot', [mnt, 'apt-get', 'update', '-qq'], { env });
        await run('chroot', [mnt, 'apt-get', 'install', '-qq', '-y', '--no-install-recommends', ...DESKTOP_PACKAGES], { env });
        await run('chroot', [mnt, 'apt-get', 'clean'], { env });
      });
      await run('chroot', [mnt, 'useradd', '--create-home', '--shell', '/bin/bash', '--uid', String(DESKTOP_USER.uid), DESKTOP_USER.name]);
      const units = join(mnt, 'etc', 'systemd', 'system');
      writeFileSync(join(units, 'vdagent-e2e-desktop.service'), SESSION_UNIT);
      mkdirSync(join(units, 'graphical.target.wants'), { recursive: true });
      symlinkSync('/etc/systemd/system/vdagent-e2e-desktop.service', join(units, 'graphical.target.wants', 'vdagent-e2e-desktop.service'));
      rmSync(join(units, 'default.target'), { force: true });
      symlinkSync('/usr/lib/systemd/system/graphical.target', join(units, 'default.target'));
      rmSync(join(mnt, 'usr', 'sbin', 'policy-rc.d'));
      rmSync(resolv);
      if (kept) writeFileSync(resolv, kept);
      await run('sh', ['-c', `rm -rf ${join(mnt, 'var', 'lib', 'apt', 'lists')}/*_Packages ${join(mnt, 'var', 'lib', 'apt', 'lists')}/*Release`]);
    } finally {
      for (const target of mounted) await run('umount', [target]);
    }
    rmSync(mnt, { recursive: true });
    copyFileSync(base.kernel, join(dir, 'vmlinuz'));
    copyFileSync(base.initrd, join(dir, 'initrd.img'));
    writeFileSync(join(dir, 'versions.json'), JSON.stringify({ ...base.versions, desktop: DESKTOP_PACKAGES.join(' ') }, null, 2) + '\n');
  });
  return { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), rootfs: join(dir, 'rootfs.img'), versions: { ...base.versions, desktop: DESKTOP_PACKAGES.join(' ') } };
}
