import { readFileSync } from 'node:fs';
import { jsonObject, type JsonObject } from '../../qga/index.js';

/** A zone abbreviation and its offset east of UTC in seconds. */
export interface ZoneName {
  abbr: string;
  offset: number;
}

/** The `±hh[:mm[:ss]]` offset of a POSIX TZ string, in seconds west of UTC. */
function posixOffset(text: string): number {
  const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(text);
  if (!m) return NaN;
  const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

/** The standard and daylight names of a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"). */
export function posixZoneNames(tz: string): ZoneName[] {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([-+]?[\d:]+)(<[^>]+>|[A-Za-z]{3,})?([-+]?[\d:]+)?/.exec(tz);
  if (!m?.[1] || !m[2]) return [];
  const name = (s: string): string => s.replace(/^<|>$/g, '');
  const std = -posixOffset(m[2]);
  const names = [{ abbr: name(m[1]), offset: std }];
  if (m[3]) names.push({ abbr: name(m[3]), offset: m[4] ? -posixOffset(m[4]) : std + 3600 });
  return names;
}

/**
 * The zone names of a TZif file, most relevant first: those of its POSIX footer (the rules from
 * the last transition on), then its local time types from the latest transition backwards.
 */
export function tzifZoneNames(data: Buffer): ZoneName[] {
  if (data.toString('latin1', 0, 4) !== 'TZif') return [];
  const version = data[4] ?? 0;
  const counts = (at: number): number[] => [0, 1, 2, 3, 4, 5].map((i) => data.readUInt32BE(at + 20 + 4 * i));
  let at = 0;
  let timeSize = 4;
  let [isut = 0, isstd = 0, leap = 0, times = 0, types = 0, chars = 0] = counts(0);
  if (version >= 0x32) {
    // Skip the 32-bit block to the 64-bit one.
    at = 44 + times * 5 + types * 6 + chars + leap * 8 + isstd + isut;
    timeSize = 8;
    [isut = 0, isstd = 0, leap = 0, times = 0, types = 0, chars = 0] = counts(at);
  }
  const indices = at + 44 + times * timeSize;
  const ttinfo = indices + times;
  const abbrs = ttinfo + types * 6;
  const typeName = (t: number): ZoneName => {
    const offset = data.readInt32BE(ttinfo + t * 6);
    const start = abbrs + (data[ttinfo + t * 6 + 5] ?? 0);
    const end = data.indexOf(0, start);
    return { abbr: data.toString('latin1', start, end < 0 ? abbrs + chars : end), offset };
  };
  const names: ZoneName[] = [];
  if (version >= 0x32) {
    const footerStart = abbrs + chars + leap * 12 + isstd + isut;
    const footer = data.toString('latin1', footerStart).split('\n')[1] ?? '';
    names.push(...posixZoneNames(footer));
  }
  const seen = new Set<number>();
  for (let i = times - 1; i >= 0; i--) {
    const t = data[indices + i] ?? 0;
    if (!seen.has(t)) names.push(typeName(t));
    seen.add(t);
  }
  for (let t = 0; t < types; t++) if (!seen.has(t)) names.push(typeName(t));
  return names;
}

/** The zone GLib falls back to when TZ names no zone it can read, or TZ is unset and /etc/localtime unreadable. */
const UTC: ZoneName[] = [{ abbr: 'UTC', offset: 0 }];

/**
 * The zone names for the process's local time as GLib resolves them: an empty TZ is UTC; a set TZ is a
 * zoneinfo file name (absolute, or below `<root>/usr/share/zoneinfo`) or a POSIX string; an unset TZ
 * is `<root>/etc/localtime`; what none of these reads as a zone is UTC.
 */
function localZoneNames(env: NodeJS.ProcessEnv, root: string): ZoneName[] {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz === '') return UTC;
  const file = tz === undefined ? `${root}/etc/localtime` : tz.startsWith('/') ? tz : `${root}/usr/share/zoneinfo/${tz}`;
  let names: ZoneName[] = [];
  try {
    names = tzifZoneNames(readFileSync(file));
  } catch {
    names = tz === undefined ? [] : posixZoneNames(tz);
  }
  return names.length > 0 ? names : UTC;
}

/**
 * guest-get-timezone: the current offset east of UTC in seconds and, when known, its abbreviation;
 * `root` is where /etc and /usr/share/zoneinfo are found (for tests).
 */
export function timezone(env: NodeJS.ProcessEnv = process.env, now = new Date(), root = ''): JsonObject {
  const names = localZoneNames(env, root);
  const offset = names === UTC ? 0 : 0 - now.getTimezoneOffset() * 60;
  const zone = names.find((z) => z.offset === offset)?.abbr;
  return jsonObject({ zone, offset });
}
