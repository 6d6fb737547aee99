import { readFileSync } from 'node:fs';
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

/** guest-get-users: from the utmp file (none when it is missing). */
export function guestUsers(path = '/var/run/utmp'): JsonValue {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return [];
  }
  return parseUtmp(data).map((u) => jsonObject({ user: u.user, 'login-time': new JsonFloat(u.loginTime) }));
}
