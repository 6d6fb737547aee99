import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeActionsDir } from '../support/actions-dir.js';
import { QEMU_GA, startQemuGa, type QemuGa } from '../support/qemu-ga.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';

/**
 * The links each agent's network namespace gets, the same for both (fixed hardware addresses):
 * a veth pair up with IPv4 and IPv6 addresses of several prefixes and a labelled IPv4 alias on the
 * peer, a bridge without addresses, a tun device up without a carrier (no program holds it) with
 * an address, a veth pair that stays down with an address.
 */
const LINKS = [
  'ip link set lo up',
  'ip link add v0 address 02:00:00:00:00:01 type veth peer name v1 address 02:00:00:00:00:02',
  'ip link set v0 up',
  'ip link set v1 up',
  'ip addr add 10.1.2.3/24 dev v0',
  'ip addr add 10.1.2.4/32 dev v0',
  'ip addr add 192.168.7.1/17 dev v0',
  'ip -6 addr add fd00::1/64 dev v0 nodad',
  'ip -6 addr add fd00:1::5/128 dev v0 nodad',
  'ip addr add 10.3.3.3/8 dev v1 label v1:alias',
  'ip link add br0 address 02:00:00:00:00:03 type bridge',
  'ip tuntap add tun0 mode tun',
  'ip link set tun0 up',
  'ip addr add 10.9.9.9/32 dev tun0',
  'ip link add v2 address 02:00:00:00:00:04 type veth peer name v3 address 02:00:00:00:00:05',
  'ip addr add 172.16.0.1/12 dev v2',
];

/**
 * A command prefix running an agent in its own network namespace with LINKS, and its own mount
 * namespace with a sysfs of that network namespace (as a guest's /sys is of its own). Needs root.
 */
const withLinks = ['/usr/bin/unshare', '--net', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', [...LINKS, 'mount -t sysfs none /sys', 'exec "$@"'].join(' && '), 'sh'];

/** An answer with every counter written as 0 (traffic differs between two namespaces). */
const withoutCounters = (answer: string): string => answer.replace(/"([rt]x-[a-z]+)": \d+/g, '"$1": 0');

describe.runIf(existsSync(QEMU_GA) && process.getuid?.() === 0 && existsSync('/usr/sbin/ip'))('network interfaces alike in the same network layout (needs root, ip and the qemu-guest-agent package)', () => {
  let dir: string;
  let ours: QgaDaemon;
  let theirs: QemuGa;

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-net-'));
    chmodSync(dir, 0o755);
    const actions = makeActionsDir(dir, { info: '' });
    [ours, theirs] = await Promise.all([startQgaDaemon({ actionsDirs: [actions], prefix: withLinks }), startQemuGa(join(dir, 'qemu-ga'), {}, withLinks)]);
  });

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every link and address as qemu-ga does: down links, no carrier, labelled aliases, in its order', async () => {
    const request = '{"execute":"guest-network-get-interfaces"}';
    const mine = withoutCounters(await ours.client.call(request));
    expect(mine).toBe(withoutCounters(await theirs.client.call(request)));
    const names = (JSON.parse(mine) as { return: { name: string }[] }).return.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['tun0', 'v2', 'v1:alias']));
  });
});
