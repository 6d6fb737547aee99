import { readFileSync, statSync } from 'node:fs';

/** A mounted local filesystem (one backed by a block device). */
export interface LocalMount {
  dir: string;
  type: string;
  source: string;
  major: number;
  minor: number;
}

/** Undoes mountinfo's octal escapes (`\040` for a space). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The device numbers of a block device node, or undefined. */
function deviceOf(path: string): { major: number; minor: number } | undefined {
  try {
    const { rdev } = statSync(path);
    return rdev === 0 ? undefined : { major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & ~0xff) };
  } catch {
    return undefined;
  }
}

/**
 * Local filesystems of a mountinfo text, in mount order: entries whose device major number is not 0
 * (btrfs, which reports 0, is resolved through its device node), as qemu-ga selects them.
 */
export function parseMountinfo(text: string, resolve = deviceOf): LocalMount[] {
  const mounts: LocalMount[] = [];
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const fields = before.split(' ');
    const [type = '', source = ''] = after.split(' ');
    const [maj = '0', min = '0'] = (fields[2] ?? '').split(':');
    let dev: { major: number; minor: number } | undefined = { major: Number(maj), minor: Number(min) };
    if (dev.major === 0) dev = type === 'btrfs' ? resolve(unescape(source)) : undefined;
    if (!dev || dev.major === 0) continue;
    mounts.push({ dir: unescape(fields[4] ?? ''), type, source: unescape(source), ...dev });
  }
  return mounts;
}

/**
 * The system's mount table: PID 1's, not the agent's own, where the unit's sandbox
 * (ProtectSystem=, ReadWritePaths=) adds bind mounts of the root filesystem at /etc, /home,
 * /var/tmp... that are no filesystems of the guest (qemu-ga, outside any sandbox, never sees them).
 */
export const SYSTEM_MOUNTINFO = '/proc/1/mountinfo';

/** The local filesystems mounted now, in mount order; the agent's own table when PID 1's cannot be read. */
export function localMounts(path = SYSTEM_MOUNTINFO): LocalMount[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  }
  return parseMountinfo(text);
}
