import { userInfo } from 'node:os';

/** Whose helper this is. */
export interface Identity {
  uid: number;
  gid: number;
}

/** Whether this process runs as `identity` already (real and effective ids): dropping to it changes nothing. */
export function runsAs({ uid, gid }: Identity): boolean {
  return process.getuid?.() === uid && process.geteuid?.() === uid && process.getgid?.() === gid && process.getegid?.() === gid;
}

/**
 * Becomes the session's user for good: supplementary groups from the group database, then the
 * primary group, then the user (real, effective and saved ids), unless started as the user
 * already (by setpriv). HOME, USER and LOGNAME then follow the user's passwd entry. Throws when any step fails; the helper must not run half-dropped.
 */
export function dropPrivileges({ uid, gid }: Identity): void {
  // initgroups(3) through Node (POSIX); current type definitions no longer declare it.
  const proc = process as NodeJS.Process & { initgroups?: (user: number, extraGroup: number) => void };
  if (!runsAs({ uid, gid })) {
    if (!proc.initgroups || !proc.setgid || !proc.setuid) throw new Error('this platform cannot change user');
    proc.initgroups(uid, gid);
    proc.setgid(gid);
    proc.setuid(uid);
  }
  if (process.getuid?.() !== uid || process.geteuid?.() !== uid || process.getegid?.() !== gid) {
    throw new Error(`still running as uid ${process.geteuid?.()} gid ${process.getegid?.()} after dropping to ${uid}:${gid}`);
  }
  const me = userInfo();
  process.env.HOME = me.homedir;
  process.env.USER = me.username;
  process.env.LOGNAME = me.username;
}
