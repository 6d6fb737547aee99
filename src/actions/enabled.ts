import { readdirSync, readlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

/** Vendor defaults, then the administrator's overrides (later wins). */
export const DEFAULT_ACTIONS_DIRS = ['/usr/lib/vdagent/actions.d', '/etc/vdagent/actions.d'];

/** Backup and package-manager leftovers that never count as entries. */
const LEFTOVER = /(~|\.bak|\.orig|\.dpkg-[a-z]+|\.rpmnew|\.rpmsave|\.sample)$/;

/** One effective actions.d entry. */
export interface ActionEntry {
  /** The entry (module) name. */
  name: string;
  /** The file that decided it. */
  path: string;
  /** False when masked by a link to /dev/null. */
  enabled: boolean;
}

/**
 * Merges actions.d directories: an entry of the same name in a later directory replaces the
 * earlier one; a link to /dev/null masks it; leftovers are ignored; missing directories are empty.
 */
export function readActionEntries(dirs: readonly string[]): Map<string, ActionEntry> {
  const entries = new Map<string, ActionEntry>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || LEFTOVER.test(name)) continue;
      const path = join(dir, name);
      const masked = lstatSync(path).isSymbolicLink() && readlinkSync(path) === '/dev/null';
      entries.set(name, { name, path, enabled: !masked });
    }
  }
  return entries;
}
