import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeActionsDir } from '../support/actions-dir.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';

/** The read-only commands monitoring stacks and virsh poll, all in the default `info` entry. */
const MONITORING = [
  'guest-get-vcpus',
  'guest-get-load',
  'guest-get-cpustats',
  'guest-get-diskstats',
  'guest-get-memory-blocks',
  'guest-get-memory-block-info',
  'guest-network-get-route',
  'guest-get-disks',
];

type Info = { supported_commands: { name: string; enabled: boolean; 'success-response': boolean }[] };

/** Non-empty lines of a /proc file. */
const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');

describe('the monitoring commands through the daemon on a pty, compared with the guest\'s own /proc and /sys', () => {
  let root: string;
  let agent: QgaDaemon;
  let bare: QgaDaemon;

  beforeAll(async () => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-mon-'));
    chmodSync(root, 0o755);
    const withInfo = makeActionsDir(join(root), { info: '' });
    const empty = makeActionsDir(mkdtempSync(join(root, 'bare-')), {});
    [agent, bare] = await Promise.all([startQgaDaemon({ actionsDirs: [withInfo] }), startQgaDaemon({ actionsDirs: [empty] })]);
  });

  afterAll(async () => {
    await agent?.stop();
    await bare?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('lists them in guest-info, enabled by the info entry and disabled without it', async () => {
    const enabled = async (d: QgaDaemon): Promise<Map<string, boolean>> =>
      new Map(((await d.client.json('{"execute":"guest-info"}')).return as Info).supported_commands.map((c) => [c.name, c.enabled]));
    const on = await enabled(agent);
    const off = await enabled(bare);
    for (const name of MONITORING) {
      expect(on.get(name), name).toBe(true);
      expect(off.get(name), name).toBe(false);
      expect(await bare.client.call({ execute: name }), name).toBe(`{"error": {"class": "CommandNotFound", "desc": "Command ${name} has been disabled"}}`);
    }
  });

  it('guest-get-vcpus lists every logical processor of /sys', async () => {
    const ids = readdirSync('/sys/devices/system/cpu').flatMap((n) => /^cpu(\d+)$/.exec(n)?.[1] ?? []).map(Number).sort((a, b) => a - b);
    const vcpus = (await agent.client.json('{"execute":"guest-get-vcpus"}')).return as { 'logical-id': number; online: boolean; 'can-offline': boolean }[];
    expect(vcpus.map((v) => v['logical-id']).sort((a, b) => a - b)).toEqual(ids);
    expect(vcpus.filter((v) => v.online).length).toBe(os.cpus().length);
  });

  it('guest-get-load answers the three load averages', async () => {
    const load = (await agent.client.json('{"execute":"guest-get-load"}')).return as Record<string, number>;
    expect(Object.keys(load).sort()).toEqual(['load15m', 'load1m', 'load5m']);
    for (const v of Object.values(load)) expect(v).toBeGreaterThanOrEqual(0);
    expect(await agent.client.call('{"execute":"guest-get-load","arguments":{"x":1}}')).toBe('{"error": {"class": "GenericError", "desc": "Parameter \'x\' is unexpected"}}');
  });

  it('guest-get-cpustats has one linux entry per processor line of /proc/stat', async () => {
    const cpus = lines('/proc/stat').flatMap((l) => /^cpu(\d+) /.exec(l)?.[1] ?? []).map(Number);
    const stats = (await agent.client.json('{"execute":"guest-get-cpustats"}')).return as { cpu: number; type: string; user: number }[];
    expect(stats.map((s) => [s.type, s.cpu])).toEqual(cpus.map((c) => ['linux', c]));
    for (const s of stats) expect(s.user).toBeGreaterThan(0);
  });

  it('guest-get-diskstats has one entry per line of /proc/diskstats', async () => {
    const disks = lines('/proc/diskstats').map((l) => l.trim().split(/\s+/)).map(([major, minor, name]) => ({ name, major: Number(major), minor: Number(minor) }));
    const stats = (await agent.client.json('{"execute":"guest-get-diskstats"}')).return as { name: string; major: number; minor: number; stats: object }[];
    expect(stats.map(({ name, major, minor }) => ({ name, major, minor }))).toEqual(disks);
  });

  it('guest-get-memory-blocks and -block-info describe /sys/devices/system/memory', async () => {
    const dir = '/sys/devices/system/memory';
    const blocks = (await agent.client.json('{"execute":"guest-get-memory-blocks"}')).return as { 'phys-index': number; online: boolean }[];
    expect(blocks.map((b) => b['phys-index']).sort((a, b) => a - b)).toEqual(readdirSync(dir).flatMap((n) => /^memory(\d+)$/.exec(n)?.[1] ?? []).map(Number).sort((a, b) => a - b));
    for (const b of blocks) expect(b.online).toBe(readFileSync(`${dir}/memory${b['phys-index']}/state`, 'utf8').startsWith('online'));
    expect((await agent.client.json('{"execute":"guest-get-memory-block-info"}')).return).toEqual({ size: Number.parseInt(readFileSync(`${dir}/block_size_bytes`, 'utf8'), 16) });
  });

  it('guest-get-disks lists every non-empty block device of /sys/block, whole disks as such', async () => {
    const sizes = readdirSync('/sys/block').filter((n) => readFileSync(`/sys/block/${n}/size`, 'utf8').trim() !== '0');
    const disks = (await agent.client.json('{"execute":"guest-get-disks"}')).return as { name: string; partition: boolean }[];
    const whole = disks.filter((d) => !d.partition).map((d) => d.name).sort();
    expect(whole).toEqual(sizes.map((n) => `/dev/${/^DEVNAME=(.*)$/m.exec(readFileSync(`/sys/block/${n}/uevent`, 'utf8'))?.[1] ?? ''}`).sort());
  });

  it('guest-network-get-route lists the IPv4 then the IPv6 routing table, on the guest\'s interfaces', async () => {
    const routes = (await agent.client.json('{"execute":"guest-network-get-route"}')).return as { iface: string; version: number; destination: string }[];
    expect(routes.map((r) => r.version)).toEqual([...lines('/proc/net/route').slice(1).map(() => 4), ...lines('/proc/net/ipv6_route').map(() => 6)]);
    const nics = readdirSync('/sys/class/net');
    for (const r of routes) expect(nics).toContain(r.iface);
  });
});
