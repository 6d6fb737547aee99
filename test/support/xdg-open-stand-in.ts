import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One run of the stand-in: who ran it and with which arguments. */
export interface XdgOpenRun {
  uid: number;
  args: string[];
}

/**
 * Writes `dir/xdg-open`, a real script standing in for xdg-utils' program: each run appends a line
 * to `record` (its uid and arguments, NUL-separated), then runs the shell lines `then` (to wait,
 * fail…). `record` must be writable by whoever runs it.
 */
export function writeXdgOpen(dir: string, record: string, then = ''): string {
  const path = join(dir, 'xdg-open');
  const quoted = `'${record.replace(/'/g, `'\\''`)}'`;
  writeFileSync(path, `#!/bin/sh\n{ printf '%s\\0' "$(id -u)" "$@"; printf '\\n'; } >> ${quoted}\n${then}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The runs `record` holds, oldest first. */
export function xdgOpenRuns(record: string): XdgOpenRun[] {
  if (!existsSync(record)) return [];
  return readFileSync(record, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [uid, ...args] = line.split('\0').slice(0, -1);
      return { uid: Number(uid), args };
    });
}
