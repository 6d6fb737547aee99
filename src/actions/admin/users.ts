import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { JsonFloat, jsonObject, type JsonValue } from '../../qga/index.js';

/** glibc's struct utmp on 64-bit Linux. */
const RECORD = 384;
const USER_PROCESS = 7;
const USER_AT = 44;
const USER_LENGTH = 32;
const TV_AT = 340;

/** A logged-in user and the earliest login time, in seconds since the epoch. */
export interface LoginUser {
  user: string;
  loginTime: number;
}

/** The users of a utmp file's USER_PROCESS records, each once with its earliest login, in first-seen order. */
export function parseUtmp(data: Buffer): LoginUser[] {
  const users = new Map<string, LoginUser>();
  for (let at = 0; at + RECORD <= data.length; at += RECORD) {
    if (data.readInt16LE(at) !== USER_PROCESS) continue;
    const raw = data.subarray(at + USER_AT, at + USER_AT + USER_LENGTH);
    const user = raw.toString('utf8', 0, raw.indexOf(0) < 0 ? USER_LENGTH : raw.indexOf(0));
    const loginTime = data.readInt32LE(at + TV_AT) + data.readInt32LE(at + TV_AT + 4) / 1e6;
    const known = users.get(user);
    if (!known) users.set(user, { user, loginTime });
    else if (loginTime < known.loginTime) known.loginTime = loginTime;
  }
  return [...users.values()];
}

/** The most session files read (a guest has a handful; logind itself allows 8,192 sessions). */
const MAX_SESSIONS = 8192;

/**
 * The users of logind's session records (`/run/systemd/sessions/ID`, `KEY=VALUE` lines): the
 * sessions of class user* that are not closing, as utmp would list their logins, each user once
 * with the earliest REALTIME (microseconds), in login order.
 */
export function parseSessions(files: readonly string[]): LoginUser[] {
  const users = new Map<string, LoginUser>();
  for (const text of files) {
    const fields = new Map(text.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const));
    const user = fields.get('USER');
    const realtime = Number(fields.get('REALTIME'));
    if (!user || !Number.isFinite(realtime) || !fields.get('CLASS')?.startsWith('user') || fields.get('STATE') === 'closing') continue;
    const loginTime = realtime / 1e6;
    const known = users.get(user);
    if (!known || loginTime < known.loginTime) users.set(user, { user, loginTime });
  }
  return [...users.values()].sort((a, b) => a.loginTime - b.loginTime);
}

/** The largest session record read (logind's are a few hundred bytes). */
const MAX_SESSION_BYTES = 64 * 1024;

/**
 * A session record, or undefined for anything else in the directory: never blocks on the FIFOs
 * logind keeps beside the records (`ID.ref`), nor follows a link.
 */
function sessionRecord(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(MAX_SESSION_BYTES);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** logind's session records, as far as they can be read. */
function sessionFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .slice(0, MAX_SESSIONS)
      .flatMap((name) => sessionRecord(join(dir, name)) ?? []);
  } catch {
    return [];
  }
}

/**
 * guest-get-users: from the utmp file, as qemu-ga; where the system keeps none (Debian 13 and
 * later, where `who` asks logind), from logind's session records.
 */
export function guestUsers(utmp = '/var/run/utmp', sessions = '/run/systemd/sessions'): JsonValue {
  let users: LoginUser[];
  try {
    users = parseUtmp(readFileSync(utmp));
  } catch (err) {
    users = (err as NodeJS.ErrnoException).code === 'ENOENT' ? parseSessions(sessionFiles(sessions)) : [];
  }
  return users.map((u) => jsonObject({ user: u.user, 'login-time': new JsonFloat(u.loginTime) }));
}
