import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { posixZoneNames, timezone, tzifZoneNames } from '../../../../src/actions/admin/timezone.js';

describe('time zone names', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('reads the standard and daylight names of a POSIX TZ string', () => {
    expect(posixZoneNames('CET-1CEST,M3.5.0,M10.5.0/3')).toEqual([
      { abbr: 'CET', offset: 3600 },
      { abbr: 'CEST', offset: 7200 },
    ]);
    expect(posixZoneNames('<+0530>-5:30')).toEqual([{ abbr: '+0530', offset: 19800 }]);
  });

  it('reads a TZif file: its footer rules first, then its types from the latest transition back', () => {
    const names = tzifZoneNames(readFileSync('/usr/share/zoneinfo/Europe/Berlin'));
    expect(names.slice(0, 2)).toEqual([
      { abbr: 'CET', offset: 3600 },
      { abbr: 'CEST', offset: 7200 },
    ]);
    expect(names).toContainEqual({ abbr: 'LMT', offset: 3208 });
  });

  it('answers the abbreviation in force and the offset east of UTC, as GLib finds them', () => {
    process.env.TZ = 'Australia/Sydney';
    expect(timezone(process.env, new Date('2026-01-15T00:00:00Z'))).toEqual(new Map<string, unknown>([['zone', 'AEDT'], ['offset', 39600]]));
    expect(timezone(process.env, new Date('2026-07-15T00:00:00Z'))).toEqual(new Map<string, unknown>([['zone', 'AEST'], ['offset', 36000]]));
    process.env.TZ = 'UTC0';
    expect(timezone(process.env, new Date())).toEqual(new Map<string, unknown>([['zone', 'UTC'], ['offset', 0]]));
  });
});
