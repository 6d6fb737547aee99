import { readFileSync } from 'node:fs';
import { jsonObject, type JsonObject } from '../../qga/index.js';
import { posixZoneAt, tzifZoneAt, type ZoneName } from './zone-at.js';

/** The zone GLib falls back to when TZ names no zone it can read, or TZ is unset and /etc/localtime unreadable. */
const UTC: ZoneName = { abbr: 'UTC', offset: 0 };

/**
 * The local zone in force at `t` (seconds from the epoch) as GLib resolves it: an empty TZ is UTC; a
 * set TZ is a zoneinfo file name (absolute, or below `<root>/usr/share/zoneinfo`) or a POSIX string;
 * an unset TZ is `<root>/etc/localtime`; what none of these reads as a zone is UTC.
 */
function localZone(env: NodeJS.ProcessEnv, root: string, t: number): ZoneName {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz === '') return UTC;
  const file = tz === undefined ? `${root}/etc/localtime` : tz.startsWith('/') ? tz : `${root}/usr/share/zoneinfo/${tz}`;
  let zone: ZoneName | undefined;
  try {
    zone = tzifZoneAt(readFileSync(file), t);
  } catch {
    zone = tz === undefined ? undefined : posixZoneAt(tz, t);
  }
  return zone ?? UTC;
}

/**
 * guest-get-timezone: the offset east of UTC in seconds in force now and, when it has one, its
 * abbreviation; `root` is where /etc and /usr/share/zoneinfo are found (for tests).
 */
export function timezone(env: NodeJS.ProcessEnv = process.env, now = new Date(), root = ''): JsonObject {
  const zone = localZone(env, root, Math.floor(now.getTime() / 1000));
  return jsonObject({ zone: zone.abbr || undefined, offset: zone.offset });
}
