import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/**
 * Freezing a real filesystem is safe only for one made here: a loop-mounted scratch image, never
 * the machine's own filesystems. It needs root, mkfs.ext4 and a free loop device.
 */
export const canLoopMount = ((): boolean => {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('mkfs.ext4', ['-V'], { stdio: 'ignore' }).status === 0 && spawnSync('losetup', ['-f'], { stdio: 'ignore' }).status === 0;
})();

/** Runs `f` with an ext4 image (8 MiB unless `size` says) loop-mounted on a new directory; thaws, unmounts and removes it after. */
export async function withScratchFs(f: (dir: string) => Promise<void>, size = '8M'): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'qga-freeze-'));
  execFileSync('truncate', ['-s', size, `${dir}.img`]);
  execFileSync('mkfs.ext4', ['-q', `${dir}.img`]);
  execFileSync('mount', ['-o', 'loop', `${dir}.img`, dir]);
  try {
    await f(dir);
  } finally {
    spawnSync('fsfreeze', ['-u', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir]);
    rmSync(`${dir}.img`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The disk under a scratch filesystem, which the test can stop and let go. */
export interface HeldDisk {
  /** From now on the disk takes no write: a write reaches the page cache, fsync(2) waits. */
  hold(): void;
  /** The disk takes writes again; what waited goes on. */
  release(): void;
}

/**
 * Runs `f` with an ext4 filesystem whose disk can be held: its 32 MiB image lies in a second
 * scratch ext4, which {@link HeldDisk.hold} freezes, so the loop device under the first waits for
 * it. Releases, unmounts and removes both after.
 */
export async function withHeldDisk(f: (dir: string, disk: HeldDisk) => Promise<void>): Promise<void> {
  await withScratchFs(async (outer) => {
    const dir = mkdtempSync(join(os.tmpdir(), 'held-disk-'));
    const image = join(outer, 'disk.img');
    execFileSync('truncate', ['-s', '32M', image]);
    execFileSync('mkfs.ext4', ['-q', image]);
    execFileSync('mount', ['-o', 'loop', image, dir]);
    const release = (): void => void spawnSync('fsfreeze', ['-u', outer], { stdio: 'ignore' });
    try {
      await f(dir, { hold: () => execFileSync('fsfreeze', ['-f', outer]), release });
    } finally {
      release();
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, '64M');
}
