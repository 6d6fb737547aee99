import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import { isDistrust, walkPath } from '../../platform/trusted-path.js';
import { runProgram } from './run-program.js';

/** Names the shipped qemu fsfreeze hook skips (editor backups, package-manager leftovers). */
const LEFTOVER = /(~|\.bak|\.orig|\.rpmnew|\.rpmorig|\.rpmsave|\.sample|\.dpkg-(old|new|tmp|dist|bak|backup|remove))$/;

/**
 * The hook programs of a directory, by name: executable regular files, no dot-files, no
 * leftovers; as root, only those whose whole path, every directory and link on the way included,
 * root alone can change (walkPath), since root runs them.
 */
export function hookPrograms(dir: string, log: Logger, checkOwner = process.getuid?.() === 0): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && !LEFTOVER.test(n))
    .sort()
    .map((n) => join(dir, n))
    .filter((path) => {
      try {
        const walked = walkPath(path, { check: checkOwner });
        if (isDistrust(walked)) {
          log.warn(`fsfreeze hook ${path} is not trusted (${walked.reason}); skipped`);
          return false;
        }
        if (!walked.stats.isFile()) return false;
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * Runs the hook programs with `freeze` in ascending name order, or `thaw` in descending order,
 * one after the other; a failing hook is logged and does not stop the others (as qemu's hook).
 */
export async function runHooks(dir: string, phase: 'freeze' | 'thaw', log: Logger): Promise<void> {
  const programs = hookPrograms(dir, log);
  if (phase === 'thaw') programs.reverse();
  for (const program of programs) {
    const end = await runProgram(program, [phase]);
    if ('error' in end) log.warn(`fsfreeze hook ${program} ${phase}: ${end.error.message}`);
    else if (end.code !== 0) log.warn(`fsfreeze hook ${program} ${phase} exited with ${end.signal ?? `status ${end.code}`}${end.output ? `: ${end.output.trim()}` : ''}`);
  }
}
