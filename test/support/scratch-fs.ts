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

/** Runs `f` with an 8 MiB ext4 image loop-mounted on a new directory; thaws, unmounts and removes it after. */
export async function withScratchFs(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'qga-freeze-'));
  execFileSync('truncate', ['-s', '8M', `${dir}.img`]);
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
