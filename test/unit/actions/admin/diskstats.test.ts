import { describe, expect, it } from 'vitest';
import { parseDiskStats } from '../../../../src/actions/admin/diskstats.js';

describe('guest-get-diskstats from /proc/diskstats', () => {
  const plain = (list: ReturnType<typeof parseDiskStats>): unknown => list.map((d) => ({ ...Object.fromEntries(d), stats: Object.fromEntries(d.get('stats') as Map<string, unknown>) }));

  it('reads the 17-counter format of current kernels into every member', () => {
    expect(plain(parseDiskStats(' 254       0 vda 137832 14979 5097498 52649 129617 97232 7063416 41505 0 34440 114922 92882 95 3119720 16850 18168 3917\n'))).toEqual([
      {
        name: 'vda', major: 254, minor: 0,
        stats: {
          'read-ios': 137832, 'read-merges': 14979, 'read-sectors': 5097498, 'read-ticks': 52649,
          'write-ios': 129617, 'write-merges': 97232, 'write-sectors': 7063416, 'write-ticks': 41505,
          'ios-pgr': 0, 'total-ticks': 34440, 'weight-ticks': 114922,
          'discard-ios': 92882, 'discard-merges': 95, 'discard-sectors': 3119720, 'discard-ticks': 16850,
          'flush-ios': 18168, 'flush-ticks': 3917,
        },
      },
    ]);
  });

  it('fills the members each older format has: 4 (old partitions), 11, 15; 5 to 10 counters give empty stats', () => {
    const keys = parseDiskStats([
      '3 1 hda1 10 20 30 40',
      '8 0 sda 1 2 3 4 5 6 7 8 9 10 11',
      '8 16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15',
      '8 32 sdc 1 2 3 4 5',
      '8 48 sdd 1 2 3',
      'garbage',
      '',
    ].join('\n')).map((d) => [d.get('name'), [...(d.get('stats') as Map<string, unknown>).keys()].length]);
    expect(keys).toEqual([['hda1', 4], ['sda', 11], ['sdb', 15], ['sdc', 0]]);
    expect(Object.fromEntries(parseDiskStats('3 1 hda1 10 20 30 40')[0]?.get('stats') as Map<string, unknown>)).toEqual({ 'read-ios': 10, 'read-sectors': 20, 'write-ios': 30, 'write-sectors': 40 });
  });

  it('keeps the tick and in-flight counters to 32 bits, as qemu-ga reads them, and the others to 64', () => {
    const stats = parseDiskStats('8 0 sda 18446744073709551615 0 0 0 0 0 0 4294967297 0 0 0')[0]?.get('stats') as Map<string, unknown>;
    expect(stats.get('read-ios')).toBe(18446744073709551615n);
    expect(stats.get('write-ticks')).toBe(1);
  });
});
