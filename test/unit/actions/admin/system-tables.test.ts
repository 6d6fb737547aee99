import { describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../../../src/actions/admin/mounts.js';
import { hardwareAddress, parseNetDev } from '../../../../src/actions/admin/network.js';
import { parseUtmp } from '../../../../src/actions/admin/users.js';
import { jsonObject } from '../../../../src/qga/index.js';

/** One glibc struct utmp record (384 bytes). */
function utmpRecord(type: number, user: string, sec: number, usec: number): Buffer {
  const r = Buffer.alloc(384);
  r.writeInt16LE(type, 0);
  r.write(user, 44, 32, 'utf8');
  r.writeInt32LE(sec, 340);
  r.writeInt32LE(usec, 344);
  return r;
}

describe('utmp', () => {
  it('lists each logged-in user once, with the earliest login, in first-seen order', () => {
    const data = Buffer.concat([
      utmpRecord(2, 'reboot', 1, 0),
      utmpRecord(7, 'alice', 1716200100, 0),
      utmpRecord(7, 'bob', 1716200050, 250000),
      utmpRecord(7, 'alice', 1716200000, 123456),
      utmpRecord(8, 'carol', 1716200000, 0),
    ]);
    expect(parseUtmp(data)).toEqual([
      { user: 'alice', loginTime: 1716200000.123456 },
      { user: 'bob', loginTime: 1716200050.25 },
    ]);
  });
});

describe('mountinfo', () => {
  const text = [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '42 27 7:0 / /mnt/with\\040space rw,relatime shared:5 - ext4 /dev/loop0 rw',
    '43 27 0:45 / /data rw - btrfs /dev/sdb1 rw',
    '44 27 0:46 / /net rw - nfs server:/x rw',
  ].join('\n');

  it('keeps filesystems on block devices, in mount order, resolving btrfs through its device', () => {
    const mounts = parseMountinfo(text, (path) => (path === '/dev/sdb1' ? { major: 8, minor: 17 } : undefined));
    expect(mounts).toEqual([
      { dir: '/', type: 'ext4', source: '/dev/vda', major: 254, minor: 0 },
      { dir: '/mnt/with space', type: 'ext4', source: '/dev/loop0', major: 7, minor: 0 },
      { dir: '/data', type: 'btrfs', source: '/dev/sdb1', major: 8, minor: 17 },
    ]);
  });
});

describe('network tables', () => {
  it('reads the counters of /proc/net/dev', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0',
      '  eth0: 18446744073709551615 15833 1 2 0 0 0 0 1941803 12597 3 4 0 0 0 0',
    ].join('\n');
    const stats = parseNetDev(text);
    expect(stats.get('eth0')).toEqual(
      jsonObject({
        'rx-bytes': 18446744073709551615n, 'rx-packets': 15833, 'rx-errs': 1, 'rx-dropped': 2,
        'tx-bytes': 1941803, 'tx-packets': 12597, 'tx-errs': 3, 'tx-dropped': 4,
      }),
    );
    expect(stats.get('lo')?.get('rx-bytes')).toBe(3193);
  });

  it('writes hardware addresses as six lower-case bytes, as SIOCGIFHWADDR gives them', () => {
    expect(hardwareAddress('02:FC:00:00:00:01\n')).toBe('02:fc:00:00:00:01');
    expect(hardwareAddress('\n')).toBe('00:00:00:00:00:00');
    expect(hardwareAddress('0a:00:00:01')).toBe('0a:00:00:01:00:00');
  });
});
