import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMounts } from '../../src/actions/admin/mounts.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { holdWrite } from '../support/held-write.js';
import { inWrite } from '../support/proc.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';
import { canLoopMount, withScratchFs } from '../support/scratch-fs.js';
import { SystemLayout } from '../support/system-layout.js';
import { spiceServedWhile } from '../support/ports-served.js';

/** The commands of the four system actions. */
const SYSTEM_COMMANDS = ['guest-fstrim', 'guest-suspend-ram', 'guest-suspend-disk', 'guest-suspend-hybrid', 'guest-set-vcpus', 'guest-set-memory-blocks'];

const generic = (desc: string) => ({ error: { class: 'GenericError', desc } });

describe.runIf(process.getuid?.() === 0)('fstrim, suspend, set-vcpus and set-memory-blocks through the daemon, against a sysfs stand-in', () => {
  let root: string;
  let sys: SystemLayout;
  let agent: QgaDaemon;
  let bare: QgaDaemon;

  beforeAll(async () => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-system-'));
    chmodSync(root, 0o755);
    sys = new SystemLayout(join(root, 'sys'));
    sys.cpus({ 0: null, 1: '1\n', 2: '0\n', 3: '' });
    sys.memory({ 0: 'online\n', 1: 'offline\n', 2: null });
    const actions = makeActionsDir(join(root), { fstrim: '', suspend: 'modes = ram disk\n', 'set-vcpus': '', 'set-memory-blocks': '' });
    const empty = makeActionsDir(mkdtempSync(join(root, 'bare-')), {});
    [agent, bare] = await Promise.all([
      startQgaDaemon({ actionsDirs: [actions], env: sys.env, prefix: sys.prefix() }),
      startQgaDaemon({ actionsDirs: [empty], env: sys.env, prefix: sys.prefix() }),
    ]);
  });

  afterAll(async () => {
    await agent?.stop();
    await bare?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses every command without its entry, and lists them disabled in guest-info', async () => {
    type Info = { supported_commands: { name: string; enabled: boolean; 'success-response': boolean }[] };
    const info = ((await bare.client.json('{"execute":"guest-info"}')).return as Info).supported_commands;
    for (const name of SYSTEM_COMMANDS) {
      expect(info.find((c) => c.name === name), name).toEqual({ name, enabled: false, 'success-response': !name.startsWith('guest-suspend') });
      expect(await bare.client.json({ execute: name }), name).toEqual({ error: { class: 'CommandNotFound', desc: `Command ${name} has been disabled` } });
    }
  });

  it('disables the suspend modes the entry leaves out', async () => {
    type Info = { supported_commands: { name: string; enabled: boolean }[] };
    const info = ((await agent.client.json('{"execute":"guest-info"}')).return as Info).supported_commands;
    expect(['ram', 'disk', 'hybrid'].map((m) => info.find((c) => c.name === `guest-suspend-${m}`)?.enabled)).toEqual([true, true, false]);
    expect(await agent.client.json('{"execute":"guest-suspend-hybrid"}')).toEqual({ error: { class: 'CommandNotFound', desc: 'Command guest-suspend-hybrid has been disabled' } });
  });

  it('guest-set-vcpus writes the online files that differ and counts what it did', async () => {
    expect(await agent.client.json({ execute: 'guest-set-vcpus', arguments: { vcpus: [{ 'logical-id': 2, online: true }, { 'logical-id': 1, online: false }, { 'logical-id': 0, online: true }] } })).toEqual({ return: 3 });
    expect([sys.read('cpu/cpu1/online'), sys.read('cpu/cpu2/online')]).toEqual(['0\n', '1\n']);
    expect(await agent.client.json({ execute: 'guest-set-vcpus', arguments: { vcpus: [{ 'logical-id': 1, online: true }, { 'logical-id': 7, online: true }, { 'logical-id': 2, online: false }] } })).toEqual({ return: 1 });
    expect([sys.read('cpu/cpu1/online'), sys.read('cpu/cpu2/online')]).toEqual(['1\n', '1\n']);
  });

  it('guest-set-vcpus fails with qemu-ga\'s words when the first processor fails', async () => {
    const set = (vcpu: object) => agent.client.json({ execute: 'guest-set-vcpus', arguments: { vcpus: [vcpu] } });
    expect(await set({ 'logical-id': 7, online: true })).toEqual(generic('open("/sys/devices/system/cpu/cpu7/"): No such file or directory'));
    expect(await set({ 'logical-id': 0, online: false })).toEqual(generic("logical processor #0 can't be offlined"));
    expect(await set({ 'logical-id': 3, online: true })).toEqual(generic('pread("/sys/devices/system/cpu/cpu3//online"): unexpected EOF'));
    expect(await set({ 'logical-id': 3 })).toEqual(generic("Parameter 'vcpus[0].online' is missing"));
  });

  it('guest-set-memory-blocks answers every block, writing the states that differ', async () => {
    const answer = await agent.client.call({
      execute: 'guest-set-memory-blocks',
      arguments: { 'mem-blks': [{ 'phys-index': 1, online: true }, { 'phys-index': 0, online: true }, { 'phys-index': 9, online: false }, { 'phys-index': 2, online: false }, { 'phys-index': -1, online: true }] },
    });
    expect(answer).toBe(
      '{"return": [{"response": "success", "phys-index": 1}, {"response": "success", "phys-index": 0}, {"response": "not-found", "error-code": 2, "phys-index": 9}, ' +
        '{"response": "operation-not-supported", "error-code": 2, "phys-index": 2}, {"response": "not-found", "error-code": 2, "phys-index": 18446744073709551615}]}',
    );
    expect(sys.read('memory/memory1/state')).toBe('onlinee\n');
    expect(sys.read('memory/memory0/state')).toBe('online\n');
  });

  /**
   * Sends `request` while another write to `file` is held in the kernel (as a processor or memory
   * block going offline holds its writer), then has a new SPICE client connect: whether the daemon
   * answered it while the write was held, and the request's answer once released.
   */
  const whileWriteHeld = async (file: string, request: object): Promise<{ served: boolean; answer: string }> => {
    const held = await holdWrite(mkdtempSync(join(root, 'held-')), file, { append: true });
    const answer = agent.client.call(request, 60_000);
    let served: boolean;
    try {
      served = await spiceServedWhile(agent.spice, () => inWrite(agent.pid));
    } finally {
      await held.release();
    }
    return { served, answer: await answer };
  };

  it('serves the SPICE port while guest-set-vcpus waits in the kernel: the online files are written off the event loop', async () => {
    mkdirSync(join(sys.root, 'cpu', 'cpu7'));
    writeFileSync(join(sys.root, 'cpu', 'cpu7', 'online'), '1\n');
    const { served, answer } = await whileWriteHeld(join(sys.root, 'cpu', 'cpu7', 'online'), { execute: 'guest-set-vcpus', arguments: { vcpus: [{ 'logical-id': 7, online: false }] } });
    expect(answer).toBe('{"return": 1}');
    expect(readFileSync(join(sys.root, 'cpu', 'cpu7', 'online'), 'latin1')[0]).toBe('0');
    // Written on the event loop, the daemon answered the client only once the write was done.
    expect(served).toBe(true);
  }, 60_000);

  it('serves the SPICE port while guest-set-memory-blocks waits in the kernel: the state files are written off the event loop', async () => {
    mkdirSync(join(sys.root, 'memory', 'memory7'));
    writeFileSync(join(sys.root, 'memory', 'memory7', 'state'), 'online\n');
    const { served, answer } = await whileWriteHeld(join(sys.root, 'memory', 'memory7', 'state'), { execute: 'guest-set-memory-blocks', arguments: { 'mem-blks': [{ 'phys-index': 7, online: false }] } });
    expect(JSON.parse(answer)).toEqual({ return: [{ 'phys-index': 7, response: 'success' }] });
    expect(readFileSync(join(sys.root, 'memory', 'memory7', 'state'), 'latin1')).toMatch(/^offline/);
    expect(served).toBe(true);
  }, 60_000);

  it('guest-suspend-ram asks systemd when it knows the unit, and answers nothing', async () => {
    sys.exits('systemctl', 'status', 3);
    sys.takeCalls();
    await agent.client.send('{"execute":"guest-suspend-ram"}\n');
    expect(await agent.client.json('{"execute":"guest-ping"}')).toEqual({ return: {} });
    expect(sys.takeCalls()).toEqual(['systemctl status systemd-suspend', 'systemctl suspend']);
    sys.exits('systemctl', 'status', 4);
  });

  it('guest-suspend-disk falls back to pm-utils, then to /sys/power/state', async () => {
    sys.powerState('freeze mem disk\n');
    sys.exits('pm-is-supported', '--hibernate', 0);
    sys.exits('pm-hibernate', '', 1);
    sys.takeCalls();
    await agent.client.send('{"execute":"guest-suspend-disk"}\n');
    expect(await agent.client.json('{"execute":"guest-ping"}')).toEqual({ return: {} });
    expect(sys.takeCalls()).toEqual(['systemctl status systemd-hibernate', 'pm-is-supported --hibernate', 'pm-hibernate']);
    expect(sys.read('power/state')).toBe('diskze mem disk\n');
  });

  it('guest-suspend-ram is refused as qemu-ga refuses it when no way offers the mode', async () => {
    sys.powerState('freeze disk\n');
    expect(await agent.client.json('{"execute":"guest-suspend-ram"}')).toEqual(generic('the requested suspend mode is not supported by the guest'));
  });

  it('guest-fstrim refuses a minimum that is not an integer', async () => {
    expect(await agent.client.json('{"execute":"guest-fstrim","arguments":{"minimum":"1"}}')).toEqual(generic("Invalid parameter type for 'minimum', expected: integer"));
  });
});

describe.runIf(canLoopMount)('guest-fstrim through the daemon on a scratch ext4 filesystem', () => {
  it('lists every local filesystem, the last mounted first, and trims the scratch one', async () => {
    await withScratchFs(async (dir) => {
      const actions = makeActionsDir(mkdtempSync(join(os.tmpdir(), 'qga-fstrim-')), { fstrim: '' });
      chmodSync(join(actions, '..'), 0o755);
      const agent = await startQgaDaemon({ actionsDirs: [actions] });
      try {
        type Result = { path: string; trimmed?: number; minimum?: number; error?: string };
        const paths = ((await agent.client.json({ execute: 'guest-fstrim', arguments: { minimum: 4096 } }, 120_000)).return as { paths: Result[] }).paths;
        expect(paths.map((p) => p.path)).toEqual(localMounts().map((m) => m.dir).reverse());
        const scratch = paths.find((p) => p.path === dir);
        expect(scratch?.error).toBeUndefined();
        expect(scratch?.trimmed).toBeGreaterThanOrEqual(0);
        expect(scratch?.minimum).toBeGreaterThanOrEqual(4096);
        // The daemon kept serving (the trims ran on a worker thread).
        expect(await agent.client.json('{"execute":"guest-ping"}')).toEqual({ return: {} });
      } finally {
        await agent.stop();
        rmSync(join(actions, '..'), { recursive: true, force: true });
      }
    });
  }, 180_000);
});
