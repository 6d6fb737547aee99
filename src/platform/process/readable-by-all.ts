import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Whether every user can read the file at `path`: the file readable by others and each directory
 * above it searchable by others (mode bits only; ACLs are not consulted). A program installed
 * this way (the package's /usr/lib/vdagent) can be started directly as another user; one in a
 * directory only root can read (a clone under /root) must be loaded before dropping to the user.
 */
export function readableByAll(path: string): boolean {
  try {
    const real = realpathSync(path);
    if ((statSync(real).mode & 0o004) === 0) return false;
    for (let dir = dirname(real); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === dirname(dir)) return true;
    }
  } catch {
    return false;
  }
}
