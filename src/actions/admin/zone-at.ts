/** A zone abbreviation and its offset east of UTC in seconds. */
export interface ZoneName {
  abbr: string;
  offset: number;
}

/** The `[+-]hh[:mm[:ss]]` of a POSIX TZ string in seconds, sign as written. */
function hms(text: string): number {
  const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(text);
  if (!m) return NaN;
  const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

const DAY = 86400;
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Seconds from the epoch to local midnight starting the day a POSIX rule date (`Jn`, `n`, `Mm.w.d`) names in `year`. */
function ruleDay(rule: string, year: number): number {
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  let m = /^J(\d+)$/.exec(rule);
  if (m) {
    const n = Number(m[1]);
    return jan1 + (n - 1 + (isLeap(year) && n >= 60 ? 1 : 0)) * DAY;
  }
  m = /^M(\d+)\.(\d)\.(\d)$/.exec(rule);
  if (m) {
    const [month, week, weekday] = [Number(m[1]) - 1, Number(m[2]), Number(m[3])];
    const first = new Date(Date.UTC(year, month, 1));
    const daysInMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    let day = 1 + ((weekday - first.getUTCDay() + 7) % 7) + (week - 1) * 7;
    while (day > daysInMonth) day -= 7;
    return Date.UTC(year, month, day) / 1000;
  }
  return /^\d+$/.test(rule) ? jan1 + Number(rule) * DAY : NaN;
}

/** The instant, in seconds from the epoch, a POSIX rule (`date[/time]`) falls on in `year`, at local offset `east`. */
function ruleInstant(rule: string, year: number, east: number): number {
  const [date = '', time = '2'] = rule.split('/');
  return ruleDay(date, year) + hms(time) - east;
}

/**
 * The zone in force at `t` (seconds from the epoch) under a POSIX TZ string
 * ("CET-1CEST,M3.5.0,M10.5.0/3"), or undefined when the string is not one.
 */
export function posixZoneAt(tz: string, t: number): ZoneName | undefined {
  const m = /^(<[^>]+>|[A-Za-z]{3,})([-+]?[\d:]+)(?:(<[^>]+>|[A-Za-z]{3,})([-+]?[\d:]+)?(?:,([^,]+),([^,]+))?)?$/.exec(tz);
  if (!m?.[1] || !m[2]) return undefined;
  const name = (s: string): string => s.replace(/^<|>$/g, '');
  const std = { abbr: name(m[1]), offset: -hms(m[2]) };
  if (Number.isNaN(std.offset)) return undefined;
  if (!m[3]) return std;
  const dst = { abbr: name(m[3]), offset: m[4] ? -hms(m[4]) : std.offset + 3600 };
  const year = new Date((t + std.offset) * 1000).getUTCFullYear();
  const start = ruleInstant(m[5] ?? 'M3.2.0', year, std.offset);
  const end = ruleInstant(m[6] ?? 'M11.1.0', year, dst.offset);
  if ([dst.offset, start, end].some(Number.isNaN)) return undefined;
  const inDst = start < end ? t >= start && t < end : !(t >= end && t < start);
  return inDst ? dst : std;
}

/**
 * The zone in force at `t` (seconds from the epoch) under a TZif file: the local time type of the
 * last transition at or before `t`, the file's POSIX footer after its last transition, or its
 * first type before its first; undefined when the data is not TZif.
 */
export function tzifZoneAt(data: Buffer, t: number): ZoneName | undefined {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'TZif') return undefined;
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
  const end = abbrs + chars + leap * (timeSize + 4) + isstd + isut;
  if (types === 0 || end > data.length) return undefined;
  const transition = (i: number): number =>
    timeSize === 8 ? Number(data.readBigInt64BE(at + 44 + i * 8)) : data.readInt32BE(at + 44 + i * 4);
  let last = -1;
  while (last + 1 < times && transition(last + 1) <= t) last++;
  if (version >= 0x32 && (times === 0 || last === times - 1)) {
    const footer = data.toString('latin1', end).split('\n')[1] ?? '';
    const zone = footer ? posixZoneAt(footer, t) : undefined;
    if (zone) return zone;
  }
  const type = last < 0 ? 0 : (data[indices + last] ?? 0);
  const start = abbrs + (data[ttinfo + type * 6 + 5] ?? 0);
  const nul = data.indexOf(0, start);
  return { abbr: data.toString('latin1', start, nul < 0 || nul > abbrs + chars ? abbrs + chars : nul), offset: data.readInt32BE(ttinfo + type * 6) };
}
