import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

describe('the zone GLib falls back to', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(os.tmpdir(), 'tz-root-'));
    mkdirSync(join(root, 'etc'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** An instant whose process-local offset is `east` seconds east of UTC, as the process's clock would give it. */
  const at = (iso: string, east: number): Date => Object.assign(new Date(iso), { getTimezoneOffset: () => -east / 60 });

  it('reads /etc/localtime when TZ is unset', () => {
    copyFileSync('/usr/share/zoneinfo/Europe/Berlin', join(root, 'etc', 'localtime'));
    expect(timezone({}, at('2026-07-15T00:00:00Z', 7200), root)).toEqual(new Map<string, unknown>([['zone', 'CEST'], ['offset', 7200]]));
  });

  it('is UTC, named, without /etc/localtime and TZ (qemu-ga 7.2 answers {"zone": "UTC", "offset": 0})', () => {
    expect(timezone({}, at('2026-07-15T00:00:00Z', 7200), root)).toEqual(new Map<string, unknown>([['zone', 'UTC'], ['offset', 0]]));
  });

  it('is UTC when /etc/localtime is not a zone file', () => {
    writeFileSync(join(root, 'etc', 'localtime'), 'not a zone\n');
    expect(timezone({}, at('2026-07-15T00:00:00Z', 0), root)).toEqual(new Map<string, unknown>([['zone', 'UTC'], ['offset', 0]]));
  });

  it('is UTC for an empty TZ or one naming no zone, even with /etc/localtime', () => {
    copyFileSync('/usr/share/zoneinfo/Europe/Berlin', join(root, 'etc', 'localtime'));
    for (const TZ of ['', 'Nowhere/Foo', ':Nowhere/Foo', 'Foo']) {
      expect(timezone({ TZ }, at('2026-07-15T00:00:00Z', 7200), root), TZ).toEqual(new Map<string, unknown>([['zone', 'UTC'], ['offset', 0]]));
    }
  });

  it('reads a TZ zone name below <root>/usr/share/zoneinfo rather than /etc/localtime', () => {
    mkdirSync(join(root, 'usr', 'share', 'zoneinfo', 'Asia'), { recursive: true });
    copyFileSync('/usr/share/zoneinfo/Asia/Tokyo', join(root, 'usr', 'share', 'zoneinfo', 'Asia', 'Tokyo'));
    copyFileSync('/usr/share/zoneinfo/Europe/Berlin', join(root, 'etc', 'localtime'));
    expect(timezone({ TZ: ':Asia/Tokyo' }, at('2026-07-15T00:00:00Z', 32400), root)).toEqual(new Map<string, unknown>([['zone', 'JST'], ['offset', 32400]]));
  });
});
