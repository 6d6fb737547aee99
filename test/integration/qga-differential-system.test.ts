import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeActionsDir } from '../support/actions-dir.js';
import { overlaid } from '../support/overlay.js';
import { startQemuGa, QEMU_GA, type QemuGa } from '../support/qemu-ga.js';
import type { QgaClient } from '../support/qga-client.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';
import { SystemLayout } from '../support/system-layout.js';

/** The same stand-in for each agent: two layouts, so each agent's writes can be compared. */
function layout(root: string): SystemLayout {
  const sys = new SystemLayout(root);
  sys.cpus({ 0: null, 1: '1\n', 2: '0\n', 3: '', 5: '1\n' });
  sys.memory({ 0: 'online\n', 1: 'offline\n', 2: null, 3: '', 32: 'online\n' });
  return sys;
}

/** The files a command may have written, as text. */
const written = (sys: SystemLayout): string[] =>
  ['cpu/cpu1/online', 'cpu/cpu2/online', 'cpu/cpu5/online', 'memory/memory0/state', 'memory/memory1/state', 'memory/memory32/state', 'power/state'].map((f) =>
    existsSync(join(sys.root, f)) ? sys.read(f) : '(none)',
  );

/** A request's answer line, or `(none)` when the agent answers nothing before a following ping. */
async function answer(client: QgaClient, request: string | object): Promise<string> {
  await client.send(Buffer.from(`${typeof request === 'string' ? request : JSON.stringify(request)}\n{"execute":"guest-ping"}\n`, 'utf8'));
  const first = (await client.next()).text;
  if (first === '{"return": {}}') return '(none)';
  expect((await client.next()).text).toBe('{"return": {}}');
  return first;
}

/** Random argument names (a fixed seed): which unexpected one qemu-ga names depends on GLib's hash table. */
function unexpectedArguments(): string[] {
  let seed = 20261206;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const word = (): string => Array.from({ length: 1 + Math.floor(random() * 9) }, () => 'abcdefghijklmnopqrstuvwxyz-_0123456789é'[Math.floor(random() * 39)]).join('');
  const requests: string[] = [];
  for (let i = 0; i < 60; i++) {
    const args: Record<string, unknown> = i % 3 === 0 ? { minimum: 1 } : {};
    for (let n = 2 + Math.floor(random() * (i < 30 ? 3 : 30)); n > 0; n--) args[word()] = n;
    const execute = ['guest-fstrim', 'guest-suspend-ram', 'guest-ping'][i % 3] as string;
    requests.push(JSON.stringify({ execute, arguments: i % 3 === 1 || i % 3 === 2 ? Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'minimum')) : args }));
  }
  // Lists of structs: each item's unexpected members too.
  requests.push('{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":1,"online":true,"zz":1,"a":2,"q-r":3}]}}');
  requests.push('{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":1,"online":true},{"phys-index":1,"online":true,"can-offline":false,"x":1,"yy":2}]}}');
  return requests;
}

describe.runIf(existsSync(QEMU_GA) && process.getuid?.() === 0)('fstrim, suspend, set-vcpus and set-memory-blocks against Debian\'s qemu-ga 7.2', () => {
  let dir: string;
  let ourSys: SystemLayout;
  let theirSys: SystemLayout;
  let ours: QgaDaemon;
  let theirs: QemuGa;

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-system-'));
    chmodSync(dir, 0o755);
    ourSys = layout(join(dir, 'ours'));
    theirSys = layout(join(dir, 'theirs'));
    const actions = makeActionsDir(dir, { info: '', fstrim: '', suspend: '', 'set-vcpus': '', 'set-memory-blocks': '' });
    [ours, theirs] = await Promise.all([
      startQgaDaemon({ actionsDirs: [actions], env: ourSys.env, prefix: ourSys.prefix() }),
      startQemuGa(join(dir, 'qemu-ga'), theirSys.env, theirSys.prefix()),
    ]);
  });

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends the same request to both agents: the same answer line, the same files written and programs run. */
  async function same(request: string | object): Promise<string> {
    const [mine, their] = [await answer(ours.client, request), await answer(theirs.client, request)];
    const label = typeof request === 'string' ? request : JSON.stringify(request);
    expect(mine, label).toBe(their);
    expect(written(ourSys), label).toEqual(written(theirSys));
    expect(ourSys.takeCalls(), label).toEqual(theirSys.takeCalls());
    return mine;
  }

  /** Sets the same fake program exit status in both layouts. */
  const exits = (program: string, firstArg: string, status: number): void => {
    for (const sys of [ourSys, theirSys]) sys.exits(program, firstArg, status);
  };
  const powerState = (text: string): void => {
    for (const sys of [ourSys, theirSys]) sys.powerState(text);
  };

  // guest-get-memory-blocks is not compared here: the stand-in's empty memory3/state (no kernel
  // writes one) makes qemu-ga's answer depend on a stale errno (ENOENT reads as no state file).
  it('reports the stand-in\'s vCPUs and memory block size alike (an empty online file included)', async () => {
    expect(await same({ execute: 'guest-get-vcpus' })).toBe('{"error": {"class": "GenericError", "desc": "pread(\\"/sys/devices/system/cpu/cpu3//online\\"): unexpected EOF"}}');
    expect(await same({ execute: 'guest-get-memory-block-info' })).toBe('{"return": {"size": 134217728}}');
  });

  it('sets vCPUs alike: counts, failures, and the online files written', async () => {
    const vcpus = (...list: object[]) => ({ execute: 'guest-set-vcpus', arguments: { vcpus: list } });
    const answers = [
      await same(vcpus({ 'logical-id': 1, online: true })),
      await same(vcpus({ 'logical-id': 0, online: true })),
      await same(vcpus({ 'logical-id': 2, online: true }, { 'logical-id': 1, online: false, 'can-offline': false })),
      await same(vcpus({ 'logical-id': 1, online: true }, { 'logical-id': 99, online: true }, { 'logical-id': 5, online: false })),
      await same(vcpus({ 'logical-id': 99, online: true })),
      await same(vcpus({ 'logical-id': -1, online: false })),
      await same(vcpus({ 'logical-id': 0, online: false })),
      await same(vcpus({ 'logical-id': 3, online: true })),
      await same(vcpus()),
    ];
    expect(answers.slice(0, 4)).toEqual(['{"return": 1}', '{"return": 1}', '{"return": 2}', '{"return": 1}']);
  });

  it('sets memory blocks alike: every response and errno, in qemu-ga\'s member order', async () => {
    const blocks = (...list: object[]) => ({ execute: 'guest-set-memory-blocks', arguments: { 'mem-blks': list } });
    await same(blocks({ 'phys-index': 0, online: true }, { 'phys-index': 1, online: true }, { 'phys-index': 32, online: false }));
    await same(blocks({ 'phys-index': 2, online: true }, { 'phys-index': 2, online: false }, { 'phys-index': 3, online: true }, { 'phys-index': 77, online: false }));
    await same('{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":-1,"online":true},{"phys-index":18446744073709551615,"online":true},{"phys-index":9223372036854775808,"online":true}]}}');
    expect(await same(blocks())).toBe('{"return": []}');
  });

  it('refuses malformed lists alike', async () => {
    for (const request of [
      '{"execute":"guest-set-vcpus"}',
      '{"execute":"guest-set-vcpus","arguments":{"vcpus":{}}}',
      '{"execute":"guest-set-vcpus","arguments":{"vcpus":[null]}}',
      '{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":1.5,"online":true}]}}',
      '{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":1,"online":"yes"}]}}',
      '{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":1,"online":true},[]]}}',
      '{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":99,"online":true,"x":1}]}}',
      '{"execute":"guest-set-vcpus","arguments":{"vcpus":[],"extra":1}}',
      '{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"online":true}]}}',
      '{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":"0","online":true}]}}',
      '{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":18446744073709551616,"online":true}]}}',
      '{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":-9223372036854775809,"online":true}]}}',
      '{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":1,"online":true,"can-offline":null}]}}',
      '{"execute":"guest-fstrim","arguments":{"minimum":1.5}}',
      '{"execute":"guest-suspend-disk","arguments":{"mode":"x"}}',
    ]) {
      await same(request);
    }
  });

  it('names the same unexpected argument when there are several', async () => {
    for (const request of unexpectedArguments()) expect(await same(request)).toMatch(/is unexpected"}}$/);
  });

  it('chooses the same way to suspend, and fails alike when none offers the mode', async () => {
    // No systemd unit, no pm-utils support, no word in /sys/power/state.
    powerState('freeze\n');
    for (const mode of ['ram', 'disk', 'hybrid']) await same(`{"execute":"guest-suspend-${mode}"}`);
    // systemd knows the unit: systemctl runs, nothing is answered.
    exits('systemctl', 'status', 3);
    for (const mode of ['ram', 'disk', 'hybrid']) expect(await same(`{"execute":"guest-suspend-${mode}"}`)).toBe('(none)');
    // systemctl fails; pm-utils supports the mode and fails too; the kernel's word is written.
    exits('systemctl', 'suspend', 1);
    exits('pm-is-supported', '--suspend', 0);
    exits('pm-suspend', '', 3);
    powerState('freeze mem disk\n');
    expect(await same('{"execute":"guest-suspend-ram"}')).toBe('(none)');
    // Only the kernel offers disk.
    exits('systemctl', 'status', 4);
    powerState('freeze mem disk\n');
    expect(await same('{"execute":"guest-suspend-disk"}')).toBe('(none)');
    // pm-is-supported answers an unexpected status: not supported, the kernel lacks hybrid.
    exits('pm-is-supported', '--suspend-hybrid', 7);
    await same('{"execute":"guest-suspend-hybrid"}');
  });

  it('fails alike when /sys/power/state cannot be written', async () => {
    const [ourRo, theirRo] = [layout(join(dir, 'ours-ro')), layout(join(dir, 'theirs-ro'))];
    for (const sys of [ourRo, theirRo]) sys.powerState('freeze mem disk\n');
    const actions = makeActionsDir(mkdtempSync(join(dir, 'ro-')), { suspend: '' });
    const [mine, their] = await Promise.all([
      startQgaDaemon({ actionsDirs: [actions], env: ourRo.env, prefix: ourRo.prefix({ readOnlyPower: true }) }),
      startQemuGa(join(dir, 'qemu-ga-ro'), theirRo.env, theirRo.prefix({ readOnlyPower: true })),
    ]);
    try {
      for (const mode of ['ram', 'disk']) {
        const request = `{"execute":"guest-suspend-${mode}"}`;
        const answers = [await answer(mine.client, request), await answer(their.client, request)];
        expect(answers[0], request).toBe(answers[1]);
        expect(answers[0]).toBe('{"error": {"class": "GenericError", "desc": "child process has failed to suspend"}}');
      }
    } finally {
      await mine.stop();
      await their.stop();
    }
  });

  it('trims the same filesystems, with the same per-path errors', async () => {
    type Result = { path: string; trimmed?: number; minimum?: number; error?: string };
    const trim = async (client: QgaClient): Promise<Result[]> => ((await client.json('{"execute":"guest-fstrim","arguments":{"minimum":0}}', 120_000)).return as { paths: Result[] }).paths;
    const [mine, their] = [await trim(ours.client), await trim(theirs.client)];
    // Trimmed bytes differ (the second trim finds less to discard); paths, minimums and errors do not.
    const comparable = (r: Result) => ({ path: r.path, minimum: r.minimum, error: r.error, trimmed: typeof r.trimmed });
    // qemu-ga walks its own mount table, which holds the stand-in's bind mounts; vdagent walks the
    // system's (PID 1's), since under the unit its own holds the sandbox's (mounts.ts).
    const system = (r: Result): boolean => !(SystemLayout.MOUNTED as readonly string[]).includes(r.path);
    expect(mine.map(comparable)).toEqual(their.filter(system).map(comparable));
  }, 240_000);
});

/**
 * guest-shutdown (virsh shutdown --mode=agent, Proxmox's shutdown with the agent) without shutting
 * anything down: qemu-ga's /sbin/shutdown is a stand-in laid over /usr/sbin, vdagent's shutdown
 * entry another; both log their arguments and exit with the status the test stores.
 */
// Only where /sbin is /usr/sbin (merged /usr): else the stand-in would not hide the real shutdown.
const sbinIsUsrSbin = existsSync('/sbin') && realpathSync('/sbin') === '/usr/sbin';

describe.runIf(existsSync(QEMU_GA) && process.getuid?.() === 0 && sbinIsUsrSbin)('guest-shutdown answered alike, qemu-ga\'s /sbin/shutdown a stand-in (needs root and a merged /usr)', () => {
  let dir: string;
  let ours: QgaDaemon;
  let theirs: QemuGa;
  const program = (name: string): string => `#!/bin/sh\necho "${name} $*" >> "${dir}/calls"\nread s < "${dir}/status"\nexit "$s"\n`;

  beforeAll(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'qga-diff-shutdown-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'sbin'), { mode: 0o755 });
    writeFileSync(join(dir, 'sbin', 'shutdown'), program('shutdown'), { mode: 0o755 });
    const actions = makeActionsDir(dir, {});
    writeFileSync(join(actions, 'shutdown'), program('entry'), { mode: 0o755 });
    [ours, theirs] = await Promise.all([startQgaDaemon({ actionsDirs: [actions] }), startQemuGa(join(dir, 'qemu-ga'), {}, overlaid([['/usr/sbin', join(dir, 'sbin')]]))]);
  });

  afterAll(async () => {
    await ours?.stop();
    await theirs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([0, 1, 3])('program exiting %d: no answer on success, the same error on failure, the same mode run', async (status) => {
    writeFileSync(join(dir, 'status'), `${status}\n`);
    for (const args of [undefined, { mode: 'powerdown' }, { mode: 'halt' }, { mode: 'reboot' }]) {
      const request = { execute: 'guest-shutdown', arguments: args };
      writeFileSync(join(dir, 'calls'), '');
      const mine = await answer(ours.client, request);
      expect(mine, JSON.stringify(args)).toBe(await answer(theirs.client, request));
      expect(mine).toBe(status === 0 ? '(none)' : '{"error": {"class": "GenericError", "desc": "child process has failed to shutdown"}}');
      const flag = { powerdown: '-P', halt: '-H', reboot: '-r' }[args?.mode ?? 'powerdown'];
      expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe(`entry ${args?.mode ?? 'powerdown'}\nshutdown -h ${flag} +0 hypervisor initiated shutdown\n`);
    }
  });
});
