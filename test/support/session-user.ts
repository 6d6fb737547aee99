import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A desktop user made for a suite, whose user-dirs.dirs names `~/Incoming` as the download folder. */
export interface SessionUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  downloads: string;
}

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' }).trim();

/** Creates user `name` (and its group) with its home in `root`; one left by an earlier run is replaced. Needs root. */
export function createSessionUser(root: string, name: string): SessionUser {
  removeSessionUser(name);
  const home = join(root, 'home');
  run('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--user-group', name]);
  const uid = Number(run('id', ['-u', name]));
  const gid = Number(run('id', ['-g', name]));
  mkdirSync(join(home, '.config'), { recursive: true });
  writeFileSync(join(home, '.config', 'user-dirs.dirs'), 'XDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
  for (const p of [home, join(home, '.config'), join(home, '.config', 'user-dirs.dirs')]) chownSync(p, uid, gid);
  chmodSync(home, 0o700);
  return { name, uid, gid, home, downloads: join(home, 'Incoming') };
}

/** Removes user `name` and its group, if there. */
export function removeSessionUser(name: string): void {
  try {
    execFileSync('userdel', [name], { stdio: 'ignore' });
  } catch {
    // Not there: nothing to remove.
  }
}
