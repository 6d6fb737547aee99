import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cached, keyOf } from './cache.js';
import { run } from './exec.js';
import type { GuestImage } from './guest-image.js';
import type { Phases } from './phases.js';

/** What a guest variant adds to the base guest image. */
export interface ImageRecipe {
  /** The cache entry's name (`NAME-KEY`): no other entry's name may start with `NAME-`. */
  name: string;
  /** Debian packages installed without their recommendations. */
  packages: readonly string[];
  /** A user created with a home folder, before the files are written. */
  user: { name: string; uid: number };
  /** Files written into the root (absolute guest paths), with their modes. */
  files: Readonly<Record<string, { text: string; mode: number }>>;
  /** Units under /etc/systemd/system started with graphical.target, which becomes the default target. */
  units: readonly string[];
  /** The text that, with the base image, makes the key: the recipe's source. */
  source: string;
}

/** Mounts `image` on `mnt` with /proc, /sys and /dev, runs `fn`, unmounts all. */
async function mounted(image: string, mnt: string, fn: () => Promise<void>): Promise<void> {
  await run('mount', ['-o', 'loop', image, mnt]);
  const targets = [mnt];
  try {
    for (const [what, where, type] of [['proc', 'proc', 'proc'], ['sysfs', 'sys', 'sysfs'], ['/dev', 'dev', '']] as const) {
      const target = join(mnt, where);
      await run('mount', type ? ['-t', type, what, target] : ['--bind', what, target]);
      targets.unshift(target);
    }
    await fn();
  } finally {
    for (const target of targets) await run('umount', [target]);
  }
}

/** Installs `packages` with apt in a chroot of `mnt`, with the host's name service and no daemon starting; leaves no lists behind. */
async function aptInstall(mnt: string, packages: readonly string[]): Promise<void> {
  const resolv = join(mnt, 'etc', 'resolv.conf');
  const kept = existsSync(resolv) ? readFileSync(resolv) : undefined;
  rmSync(resolv, { force: true });
  copyFileSync('/etc/resolv.conf', resolv);
  const policy = join(mnt, 'usr', 'sbin', 'policy-rc.d');
  writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8' };
  try {
    await run('chroot', [mnt, 'apt-get', 'update', '-qq'], { env });
    await run('chroot', [mnt, 'apt-get', 'install', '-qq', '-y', '--no-install-recommends', ...packages], { env });
    await run('chroot', [mnt, 'apt-get', 'clean'], { env });
  } finally {
    rmSync(policy);
    rmSync(resolv);
    if (kept) writeFileSync(resolv, kept);
    const lists = join(mnt, 'var', 'lib', 'apt', 'lists');
    await run('sh', ['-c', `rm -rf ${lists}/*_Packages ${lists}/*Release`]);
  }
}

/**
 * A variant of the base guest: its root copied into the cache entry `NAME-KEY` (KEY from the base
 * image and the recipe's source), with the recipe's packages installed by apt in a chroot of the
 * loop-mounted copy, its user, files and units; kernel and initramfs are the base image's.
 */
export async function derivedImage(root: string, base: GuestImage, phases: Phases, recipe: ImageRecipe): Promise<GuestImage> {
  const self = readFileSync(new URL(import.meta.url), 'utf8');
  const versions = { ...base.versions, [recipe.name]: recipe.packages.join(' ') };
  const dir = await cached(root, recipe.name, keyOf(basename(dirname(base.rootfs)), self, recipe.source), async (dir) => {
    const rootfs = join(dir, 'rootfs.img');
    await phases.run(`${recipe.name}: copy the base root image`, () => run('cp', ['--sparse=always', base.rootfs, rootfs]));
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    await mounted(rootfs, mnt, async () => {
      await phases.run(`${recipe.name}: apt-get install ${recipe.packages.slice(0, 3).join(', ')}…`, () => aptInstall(mnt, recipe.packages));
      const { name, uid } = recipe.user;
      await run('chroot', [mnt, 'useradd', '--create-home', '--shell', '/bin/bash', '--uid', String(uid), name]);
      for (const [path, { text, mode }] of Object.entries(recipe.files)) {
        mkdirSync(dirname(join(mnt, path)), { recursive: true });
        writeFileSync(join(mnt, path), text, { mode });
      }
      const units = join(mnt, 'etc', 'systemd', 'system');
      mkdirSync(join(units, 'graphical.target.wants'), { recursive: true });
      for (const unit of recipe.units) symlinkSync(`/etc/systemd/system/${unit}`, join(units, 'graphical.target.wants', unit));
      rmSync(join(units, 'default.target'), { force: true });
      symlinkSync('/usr/lib/systemd/system/graphical.target', join(units, 'default.target'));
    });
    rmSync(mnt, { recursive: true });
    copyFileSync(base.kernel, join(dir, 'vmlinuz'));
    copyFileSync(base.initrd, join(dir, 'initrd.img'));
    writeFileSync(join(dir, 'versions.json'), JSON.stringify(versions, null, 2) + '\n');
  });
  return { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), rootfs: join(dir, 'rootfs.img'), versions };
}
