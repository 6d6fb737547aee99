import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_BLOCK } from '../../src/actions/admin/files.js';
import { startQgaDaemon, type QgaDaemon } from '../support/qga-harness.js';
import { canLoopMount, withScratchFs } from '../support/scratch-fs.js';

const STATE_FILE = 'qga-state.json';
const err = (cls: string, desc: string): string => `{"error": {"class": "${cls}", "desc": "${desc}"}}`;
const frozenRefusal = (execute: string): string => err('CommandNotFound', `Command ${execute} has been disabled: the agent is in frozen state`);

/** The guest agent's state across restarts: the frozen state and file handles, in --state-dir. */
describe('the guest agent state directory', () => {
  let root: string;
  let actions: string;
  let stateDir: string;
  let agent: QgaDaemon | undefined;
  const started: QgaDaemon[] = [];

  /** Starts the daemon with the test's actions.d and state directory. */
  const start = async (): Promise<QgaDaemon> => {
    agent = await startQgaDaemon({ actionsDirs: [actions], args: ['--state-dir', stateDir] });
    started.push(agent);
    return agent;
  };
  /** Kills the daemon as a crash would: no thaw, no clean-up. */
  const crash = async (a: QgaDaemon): Promise<void> => {
    process.kill(a.pid, 'SIGKILL');
    await a.stop();
  };
  const stateRecord = (): unknown => JSON.parse(readFileSync(join(stateDir, STATE_FILE), 'utf8'));

  beforeAll(() => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-state-'));
    chmodSync(root, 0o755);
    actions = join(root, 'actions');
    mkdirSync(actions, { mode: 0o755 });
    mkdirSync(join(root, 'hooks'), { mode: 0o755 });
    const entries: [string, string][] = [['info', ''], ['file', ''], ['fsfreeze', `hook-dir = ${root}/hooks\n`]];
    for (const [name, text] of entries) writeFileSync(join(actions, name), text, { mode: 0o644 });
  });

  beforeEach(() => {
    stateDir = mkdtempSync(join(root, 'state-'));
    chmodSync(stateDir, 0o700);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && agent) process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    for (const a of started.splice(0)) await a.stop();
    agent = undefined;
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.skipIf(!canLoopMount)('restarts frozen after a crash during a freeze: only thaw and status until a thaw, which persists', async () => {
    await withScratchFs(async (dir) => {
      const before = await start();
      expect(await before.client.call({ execute: 'guest-fsfreeze-freeze-list', arguments: { mountpoints: [dir] } })).toBe('{"return": 1}');
      await crash(before);

      const after = await start();
      expect(await after.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
      expect(await after.client.call('{"execute":"guest-get-time"}')).toBe(frozenRefusal('guest-get-time'));
      expect(await after.client.call({ execute: 'guest-file-open', arguments: { path: join(root, 'x'), mode: 'w' } })).toBe(frozenRefusal('guest-file-open'));
      expect(await after.client.call('{"execute":"guest-fsfreeze-freeze"}')).toBe(frozenRefusal('guest-fsfreeze-freeze'));
      expect(await after.client.call('{"execute":"guest-ping"}')).toBe('{"return": {}}');
      expect(await after.client.call('{"execute":"guest-fsfreeze-thaw"}')).toBe('{"return": 1}');
      expect(await after.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
      writeFileSync(join(dir, 'writable-again'), 'yes');
      await crash(after);

      const again = await start();
      expect(await again.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
      expect(await again.client.json('{"execute":"guest-get-time"}')).toHaveProperty('return');
    });
  });

  it('keeps counting file handles across a crash: an old handle is not found, the next open is higher', async () => {
    const target = join(root, 'target');
    writeFileSync(target, 'data');
    const before = await start();
    const first = (await before.client.json({ execute: 'guest-file-open', arguments: { path: target } })).return as number;
    const second = (await before.client.json({ execute: 'guest-file-open', arguments: { path: target } })).return as number;
    expect([first, second]).toEqual([1000, 1001]);
    await crash(before);

    const after = await start();
    const next = (await after.client.json({ execute: 'guest-file-open', arguments: { path: target } })).return as number;
    expect(next).toBe(1000 + HANDLE_BLOCK);
    for (const handle of [first, second]) {
      expect(await after.client.call({ execute: 'guest-file-read', arguments: { handle } })).toBe(err('GenericError', `handle '${handle}' has not been found`));
    }
  });

  it('writes the state record once per block of handles, mode 0600', async () => {
    const a = await start();
    for (let i = 0; i < HANDLE_BLOCK + 1; i++) {
      const handle = (await a.client.json({ execute: 'guest-file-open', arguments: { path: '/dev/null' } })).return as number;
      await a.client.call({ execute: 'guest-file-close', arguments: { handle } });
    }
    expect(stateRecord()).toEqual({ frozen: false, handleLimit: 1000 + 2 * HANDLE_BLOCK });
    expect(statSync(join(stateDir, STATE_FILE)).mode & 0o777).toBe(0o600);
  });

  it('refuses a corrupt state file and starts frozen; a thaw writes a good record', async () => {
    writeFileSync(join(stateDir, STATE_FILE), '{"frozen": fal', { mode: 0o600 });
    const a = await start();
    expect(await a.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
    expect(await a.client.call('{"execute":"guest-get-time"}')).toBe(frozenRefusal('guest-get-time'));
    expect((await a.client.json('{"execute":"guest-fsfreeze-thaw"}')).return).toEqual(expect.any(Number));
    expect(await a.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
    expect(stateRecord()).toEqual({ frozen: false, handleLimit: 1000 });
  });

  it('refuses a state file owned by another user or writable by others, and starts frozen', async () => {
    const file = join(stateDir, STATE_FILE);
    writeFileSync(file, JSON.stringify({ frozen: false, handleLimit: 5000 }), { mode: 0o600 });
    chownSync(file, 65534, 65534);
    const foreign = await start();
    expect(await foreign.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
    await crash(foreign);

    chownSync(file, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    chmodSync(file, 0o666);
    const writable = await start();
    expect(await writable.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
    await writable.client.call('{"execute":"guest-fsfreeze-thaw"}');
    // The thaw replaced the refused record with the agent's own.
    expect(stateRecord()).toEqual({ frozen: false, handleLimit: 1000 });
  });

  it('refuses a state directory others may write: starts frozen from memory and leaves the directory alone', async () => {
    const file = join(stateDir, STATE_FILE);
    const record = JSON.stringify({ frozen: false, handleLimit: 5000 });
    writeFileSync(file, record, { mode: 0o600 });
    chmodSync(stateDir, 0o777);
    const a = await start();
    expect(await a.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
    await a.client.call('{"execute":"guest-fsfreeze-thaw"}');
    expect(await a.client.call({ execute: 'guest-file-open', arguments: { path: '/dev/null' } })).toBe('{"return": 1000}');
    expect(readFileSync(file, 'utf8')).toBe(record);
  });

  it('refuses to freeze, and to open a file past its reserved handles, when the state cannot be written', async () => {
    // A directory where the temporary record goes makes every write fail, even for root.
    mkdirSync(join(stateDir, `.${STATE_FILE}.tmp`));
    const a = await start();
    const freeze = await a.client.json({ execute: 'guest-fsfreeze-freeze-list', arguments: { mountpoints: ['/not/a/mount'] } });
    expect(freeze.error?.class).toBe('GenericError');
    expect(freeze.error?.desc).toMatch(/^failed to record the frozen state: /);
    expect(await a.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
    expect(await a.client.call({ execute: 'guest-file-open', arguments: { path: '/dev/null' } })).toBe(err('GenericError', 'failed to commit persistent state to disk'));
  });

  it('without the state directory, serves with the state in memory', async () => {
    rmSync(stateDir, { recursive: true });
    const a = await start();
    expect(await a.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
    expect(await a.client.call({ execute: 'guest-file-open', arguments: { path: '/dev/null' } })).toBe('{"return": 1000}');
  });
});

describe('guest-fsfreeze-status without the fsfreeze entry', () => {
  let root: string;
  let agent: QgaDaemon;

  beforeAll(async () => {
    root = mkdtempSync(join(os.tmpdir(), 'qga-nofreeze-'));
    chmodSync(root, 0o755);
    agent = await startQgaDaemon({ actionsDirs: [root], args: ['--state-dir', join(root, 'missing')] });
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('is answered, as qemu-ga does by default, while freeze and thaw stay disabled', async () => {
    expect(await agent.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
    expect(await agent.client.call('{"execute":"guest-fsfreeze-freeze"}')).toBe(err('CommandNotFound', 'Command guest-fsfreeze-freeze has been disabled'));
    expect(await agent.client.call('{"execute":"guest-fsfreeze-thaw"}')).toBe(err('CommandNotFound', 'Command guest-fsfreeze-thaw has been disabled'));
    const info = (await agent.client.json('{"execute":"guest-info"}')).return as { supported_commands: { name: string; enabled: boolean }[] };
    expect(info.supported_commands.find((c) => c.name === 'guest-fsfreeze-status')?.enabled).toBe(true);
  });

  it('serves the thaw of an agent that starts frozen, so it is never stuck frozen', async () => {
    const stateDir = join(root, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, STATE_FILE), 'not a record', { mode: 0o600 });
    const frozen = await startQgaDaemon({ actionsDirs: [root], args: ['--state-dir', stateDir] });
    try {
      expect(await frozen.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "frozen"}');
      expect((await frozen.client.json('{"execute":"guest-fsfreeze-thaw"}')).return).toEqual(expect.any(Number));
      expect(await frozen.client.call('{"execute":"guest-fsfreeze-status"}')).toBe('{"return": "thawed"}');
      expect(await frozen.client.call('{"execute":"guest-fsfreeze-thaw"}')).toBe(err('CommandNotFound', 'Command guest-fsfreeze-thaw has been disabled'));
    } finally {
      await frozen.stop();
    }
  });
});
