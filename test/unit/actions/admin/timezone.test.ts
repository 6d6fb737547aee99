import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timezone } from '../../../../src/actions/admin/timezone.js';
import { posixZoneAt, tzifZoneAt } from '../../../../src/actions/admin/zone-at.js';

/** Seconds from the epoch of an ISO date. */
const at = (iso: string): number => Date.parse(iso) / 1000;

/** guest-get-timezone's answer. */
const answer = (zone: string, offset: number): Map<string, unknown> => new Map<string, unknown>([['zone', zone], ['offset', offset]]);

describe('the zone in force at an instant', () => {
  it('under a POSIX TZ string, switching at the rules’ local times', () => {
    const berlin = 'CET-1CEST,M3.5.0,M10.5.0/3';
    expect(posixZoneAt(berlin, at('2026-01-15T00:00:00Z'))).toEqual({ abbr: 'CET', offset: 3600 });
    expect(posixZoneAt(berlin, at('2026-07-15T00:00:00Z'))).toEqual({ abbr: 'CEST', offset: 7200 });
    // 2026-03-29 02:00 CET is 01:00 UTC; 2026-10-25 03:00 CEST is 01:00 UTC.
    expect(posixZoneAt(berlin, at('2026-03-29T00:59:59Z'))?.abbr).toBe('CET');
    expect(posixZoneAt(berlin, at('2026-03-29T01:00:00Z'))?.abbr).toBe('CEST');
    expect(posixZoneAt(berlin, at('2026-10-25T00:59:59Z'))?.abbr).toBe('CEST');
    expect(posixZoneAt(berlin, at('2026-10-25T01:00:00Z'))?.abbr).toBe('CET');
  });

  it('under southern-hemisphere rules, daylight time spanning the new year', () => {
    const sydney = 'AEST-10AEDT,M10.1.0,M4.1.0/3';
    expect(posixZoneAt(sydney, at('2026-01-15T00:00:00Z'))).toEqual({ abbr: 'AEDT', offset: 39600 });
    expect(posixZoneAt(sydney, at('2026-07-15T00:00:00Z'))).toEqual({ abbr: 'AEST', offset: 36000 });
  });

  it('with quoted names, Julian-day rules, default rules, or none', () => {
    expect(posixZoneAt('<+0530>-5:30', 0)).toEqual({ abbr: '+0530', offset: 19800 });
    expect(posixZoneAt('XST3XDT,J60,J300', at('2024-03-02T12:00:00Z'))?.abbr).toBe('XDT');
    expect(posixZoneAt('XST3XDT,J60,J300', at('2024-02-28T12:00:00Z'))?.abbr).toBe('XST');
    expect(posixZoneAt('EST5EDT', at('2026-07-15T00:00:00Z'))).toEqual({ abbr: 'EDT', offset: -14400 });
    expect(posixZoneAt('Nowhere/Foo', 0)).toBeUndefined();
  });

  it('under a TZif file: the type of the last transition, the footer after the last, type 0 before the first', () => {
    const berlin = readFileSync('/usr/share/zoneinfo/Europe/Berlin');
    expect(tzifZoneAt(berlin, at('1980-07-15T00:00:00Z'))).toEqual({ abbr: 'CEST', offset: 7200 });
    expect(tzifZoneAt(berlin, at('2099-01-15T00:00:00Z'))).toEqual({ abbr: 'CET', offset: 3600 });
    expect(tzifZoneAt(berlin, at('1850-01-01T00:00:00Z'))).toEqual({ abbr: 'LMT', offset: 3208 });
    expect(tzifZoneAt(Buffer.from('not a zone'), 0)).toBeUndefined();
  });
});

describe('guest-get-timezone, as GLib resolves the local zone (checked against qemu-ga 7.2)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(os.tmpdir(), 'tz-root-'));
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(root, 'usr', 'share', 'zoneinfo', 'Asia'), { recursive: true });
    copyFileSync('/usr/share/zoneinfo/Asia/Tokyo', join(root, 'usr', 'share', 'zoneinfo', 'Asia', 'Tokyo'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const summer = new Date('2026-07-15T00:00:00Z');

  it('reads /etc/localtime when TZ is unset', () => {
    copyFileSync('/usr/share/zoneinfo/Europe/Berlin', join(root, 'etc', 'localtime'));
    expect(timezone({}, summer, root)).toEqual(answer('CEST', 7200));
    expect(timezone({}, new Date('2026-01-15T00:00:00Z'), root)).toEqual(answer('CET', 3600));
  });

  it('is UTC, named, without /etc/localtime and TZ', () => {
    expect(timezone({}, summer, root)).toEqual(answer('UTC', 0));
  });

  it('is UTC when /etc/localtime is not a zone file', () => {
    writeFileSync(join(root, 'etc', 'localtime'), 'not a zone\n');
    expect(timezone({}, summer, root)).toEqual(answer('UTC', 0));
  });

  it('is UTC for an empty TZ or one naming no zone, even with /etc/localtime', () => {
    copyFileSync('/usr/share/zoneinfo/Europe/Berlin', join(root, 'etc', 'localtime'));
    for (const TZ of ['', 'Nowhere/Foo', ':Nowhere/Foo', 'Foo']) expect(timezone({ TZ }, summer, root), TZ).toEqual(answer('UTC', 0));
  });

  it('reads a TZ zone name below <root>/usr/share/zoneinfo, an absolute file, or a POSIX string', () => {
    copyFileSync('/usr/share/zoneinfo/Europe/Berlin', join(root, 'etc', 'localtime'));
    expect(timezone({ TZ: ':Asia/Tokyo' }, summer, root)).toEqual(answer('JST', 32400));
    expect(timezone({ TZ: join(root, 'usr', 'share', 'zoneinfo', 'Asia', 'Tokyo') }, summer, root)).toEqual(answer('JST', 32400));
    expect(timezone({ TZ: 'AEST-10AEDT,M10.1.0,M4.1.0/3' }, summer, root)).toEqual(answer('AEST', 36000));
    expect(timezone({ TZ: 'EST5' }, summer, root)).toEqual(answer('EST', -18000));
  });
});
