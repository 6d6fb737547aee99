import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guestDisks, isPartitionName } from '../../../../src/actions/admin/disks.js';

describe('guest-get-disks from a sysfs block directory', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(os.tmpdir(), 'disks-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A block device under devices/ (device-mapper ones under devices/virtual/block/), linked from block/ as the kernel does. */
  const device = (name: string, size: string, extra: Record<string, string> = {}, parts: string[] = []): string => {
    const dir = name.startsWith('dm-') ? join(root, 'devices', 'virtual', 'block', name) : join(root, 'devices', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'size'), `${size}\n`);
    writeFileSync(join(dir, 'uevent'), `MAJOR=8\nDEVNAME=${name}\nDEVTYPE=disk\n`);
    for (const [f, text] of Object.entries(extra)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    for (const p of parts) {
      mkdirSync(join(dir, p));
      writeFileSync(join(dir, p, 'uevent'), `DEVNAME=${p}\nDEVTYPE=partition\n`);
    }
    mkdirSync(join(root, 'block'), { recursive: true });
    symlinkSync(dir, join(root, 'block', name));
    return dir;
  };

  it('lists non-empty disks and their partitions, last found first, with dependencies and dm aliases', () => {
    device('sda', '2048', {}, ['sda1', 'sda2']);
    mkdirSync(join(root, 'devices', 'sda', 'slaves'));
    mkdirSync(join(root, 'devices', 'sda', 'queue'));
    device('loop0', '0');
    const dm = device('dm-0', '1024', { 'dm/name': 'vg-root\n' });
    mkdirSync(join(dm, 'slaves'));
    symlinkSync(join(root, 'devices', 'sda', 'sda2'), join(dm, 'slaves', 'sda2'));
    const names = (list: ReturnType<typeof guestDisks>): unknown[] => list.map((d) => Object.fromEntries(d));
    const disks = names(guestDisks(join(root, 'block'), join(root, 'udev')));
    expect(disks).toHaveLength(4);
    // A disk outside devices/virtual has guest-get-fsinfo's address: here no known controller, but its node.
    const sda = disks.find((d) => (d as { name: string }).name === '/dev/sda') as { address: Map<string, unknown> };
    expect([sda.address.get('bus-type'), sda.address.get('dev')]).toEqual(['unknown', '/dev/sda']);
    expect({ ...sda, address: undefined }).toEqual({ name: '/dev/sda', partition: false, dependencies: [], address: undefined });
    expect(disks).toContainEqual({ name: '/dev/sda1', partition: true, dependencies: ['/dev/sda'] });
    expect(disks).toContainEqual({ name: '/dev/sda2', partition: true, dependencies: ['/dev/sda'] });
    expect(disks).toContainEqual({ name: '/dev/dm-0', partition: false, dependencies: ['/dev/sda2'], alias: 'vg-root' });
    // each partition comes before its disk, as qemu-ga prepends them
    expect(disks.findIndex((d) => (d as { name: string }).name === '/dev/sda1')).toBeLessThan(disks.findIndex((d) => (d as { name: string }).name === '/dev/sda'));
  });

  it.each([
    ['sda', 'sda1', true],
    ['nvme0n1', 'nvme0n1p2', true],
    ['sda', 'sdaq', false],
    ['sda', 'queue', false],
    ['sda', 'sdap', false],
  ])('%s/%s is a partition: %s', (disk, name, yes) => {
    expect(isPartitionName(disk, name)).toBe(yes);
  });
});
