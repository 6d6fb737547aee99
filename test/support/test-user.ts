import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A user made for a test: no login shell, a home folder of its own (0700). */
export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Where received files land: `~/Incoming` when user-dirs.dirs names it, else the home folder. */
  downloads: string;
  /** The gid of the extra group the user is a member of, if one was asked for. */
  extraGid?: number;
}

/** What a test user has beyond a home: an extra group, and a user-dirs.dirs naming `~/Incoming`. */
export interface TestUserOptions {
  extraGroup?: string;
  incoming?: boolean;
}

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' }).trim();

/** Runs `userdel`/`groupdel` on `name`; one not there is nothing to remove. */
function remove(cmd: 'userdel' | 'groupdel', name: string): void {
  try {
    execFileSync(cmd, [name], { stdio: 'ignore' });
  } catch {
    // Not there: nothing to remove.
  }
}

/** Removes a test user and its group (and its extra group), if they exist. */
export function removeTestUser(name: string, extraGroup?: string): void {
  remove('userdel', name);
  if (extraGroup) remove('groupdel', extraGroup);
}

/** Creates user `name` (a leftover of an earlier run is replaced) with its home at `home`. Needs root. */
export function createTestUser(name: string, home: string, options: TestUserOptions = {}): TestUser {
  removeTestUser(name, options.extraGroup);
  const groups = options.extraGroup ? ['--groups', options.extraGroup] : [];
  if (options.extraGroup) run('groupadd', [options.extraGroup]);
  run('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--user-group', ...groups, name]);
  const uid = Number(run('id', ['-u', name]));
  const gid = Number(run('id', ['-g', name]));
  const extraGid = options.extraGroup ? Number(run('getent', ['group', options.extraGroup]).split(':')[2]) : undefined;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  chownSync(home, uid, gid);
  if (!options.incoming) return { name, uid, gid, home, downloads: home, extraGid };
  const config = join(home, '.config');
  mkdirSync(config);
  writeFileSync(join(config, 'user-dirs.dirs'), 'XDG_DOWNLOAD_DIR="$HOME/Incoming"\n');
  for (const p of [config, join(config, 'user-dirs.dirs')]) chownSync(p, uid, gid);
  return { name, uid, gid, home, downloads: join(home, 'Incoming'), extraGid };
}
