import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';

/** A user made for a test: no login shell, a home folder of its own. */
export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Removes a test user and its group, if they exist. */
export function removeTestUser(name: string): void {
  try {
    execFileSync('userdel', [name], { stdio: 'ignore' });
  } catch {
    // Not there: nothing to remove.
  }
}

/** Creates user `name` (a leftover of an earlier run is replaced) with its home at `home` (0700, its own). */
export function createTestUser(name: string, home: string): TestUser {
  removeTestUser(name);
  execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--user-group', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  chownSync(home, uid, gid);
  return { name, uid, gid, home };
}
