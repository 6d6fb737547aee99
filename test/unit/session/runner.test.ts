import { describe, expect, it } from 'vitest';
import type { ActionModule } from '../../../src/actions/module.js';
import { DesktopState } from '../../../src/desktop/state.js';
import { memoryLogger } from '../../support/log.js';
import { FileXferResult, MessageType, type Message } from '../../../src/protocol/index.js';
import type { FromHelper } from '../../../src/session/ipc.js';
import { BlockPool } from '../../../src/protocol/block-pool.js';
import { SessionRunner } from '../../../src/session/runner.js';

/** A session module whose handling of each message ends only when the test says so. */
function slowModule(releases: MessageType[] = []): { module: ActionModule; finish(): void; handled: number } {
  const pending: (() => void)[] = [];
  const state = {
    handled: 0,
    finish: () => pending.shift()?.(),
    module: {
      name: 'slow',
      capabilities: [],
      handles: [MessageType.FileXferStatus, MessageType.FileXferData],
      releases,
      host: 'session',
      start: async () => undefined,
      stop: async () => undefined,
      resetClient: () => undefined,
      handle: () =>
        new Promise<void>((resolve) => {
          state.handled++;
          pending.push(resolve);
        }),
    } satisfies ActionModule,
  };
  return state;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));
const status: Message = { type: MessageType.FileXferStatus, id: 1, result: FileXferResult.Cancelled };

describe('the helper acknowledges the daemon', () => {
  it('once a module finished a message, not when it was handed over; in batches', async () => {
    const slow = slowModule();
    const sent: FromHelper[] = [];
    const runner = new SessionRunner((m) => sent.push(m), memoryLogger().log, new DesktopState(), [{ name: 'slow', create: () => slow.module }]);
    runner.receive({ kind: 'modules', modules: [{ name: 'slow', settings: [] }] });
    await tick();
    const acks = (): number => sent.filter((m) => m.kind === 'ack').reduce((n, m) => n + (m.kind === 'ack' ? m.count : 0), 0);
    expect(acks()).toBe(1); // the modules message
    for (let i = 0; i < 3; i++) runner.receive({ kind: 'message', module: 'slow', message: status });
    await tick();
    expect([slow.handled, acks()]).toEqual([3, 1]); // taken in order, overlapping, none finished
    slow.finish();
    slow.finish();
    await tick();
    expect(acks()).toBe(3);
    slow.finish();
    await tick();
    expect(acks()).toBe(4);
    expect(sent.filter((m) => m.kind === 'ack').length).toBeLessThan(4); // batched
  });
});

describe('the helper reuses the blocks of finished messages', () => {
  const run = async (releases: MessageType[]): Promise<{ pool: BlockPool; slow: ReturnType<typeof slowModule> }> => {
    const pool = new BlockPool(1024, 4);
    const slow = slowModule(releases);
    const runner = new SessionRunner(() => undefined, memoryLogger().log, new DesktopState(), [{ name: 'slow', create: () => slow.module }], pool);
    runner.receive({ kind: 'modules', modules: [{ name: 'slow', settings: [] }] });
    runner.receive({ kind: 'message', module: 'slow', message: { type: MessageType.FileXferData, id: 1, data: pool.take(1000) } });
    await tick();
    return { pool, slow };
  };

  it('gives a message\'s byte arrays back once the module that releases its type finished it, not before', async () => {
    const { pool, slow } = await run([MessageType.FileXferData]);
    expect(pool.held).toBe(0);
    slow.finish();
    await tick();
    expect(pool.held).toBe(1);
  });

  it('leaves them to a module that does not release its type (it may keep them)', async () => {
    const { pool, slow } = await run([]);
    slow.finish();
    await tick();
    expect(pool.held).toBe(0);
  });
});

describe('the helper passes on what a module can serve', () => {
  it('sends a module\'s offer under its name, before saying it runs', async () => {
    const sent: FromHelper[] = [];
    const module: ActionModule = {
      ...slowModule().module,
      start: async (ctx) => ctx.offer?.([]),
    };
    const runner = new SessionRunner((m) => sent.push(m), memoryLogger().log, new DesktopState(), [{ name: 'slow', create: () => module }]);
    runner.receive({ kind: 'modules', modules: [{ name: 'slow', settings: [] }] });
    await tick();
    expect(sent.filter((m) => m.kind !== 'ack')).toEqual([
      { kind: 'offer', module: 'slow', capabilities: [] },
      { kind: 'running', modules: ['slow'] },
    ]);
  });
});

describe('the helper confirms the daemon’s reset', () => {
  it('in order with what the module sends: what it sent before the reset comes before the confirmation, what it sends after comes after', async () => {
    const sent: FromHelper[] = [];
    let ctx: Parameters<ActionModule['start']>[0] | undefined;
    const module: ActionModule = {
      ...slowModule().module,
      start: async (c) => void (ctx = c),
      resetClient: () => void ctx?.send({ ...status, id: 6 }), // even what resetClient itself sends is before the confirmation
    };
    const runner = new SessionRunner((m) => sent.push(m), memoryLogger().log, new DesktopState(), [{ name: 'slow', create: () => module }]);
    runner.receive({ kind: 'modules', modules: [{ name: 'slow', settings: [] }] });
    await tick();
    ctx?.send({ ...status, id: 5 });
    runner.receive({ kind: 'reset', module: 'slow' });
    runner.receive({ kind: 'reset', module: 'absent' }); // a module that does not run here confirms too
    await tick();
    ctx?.send({ ...status, id: 7 });
    expect(sent.filter((m) => m.kind === 'message' || m.kind === 'reset')).toEqual([
      { kind: 'message', module: 'slow', message: { ...status, id: 5 } },
      { kind: 'message', module: 'slow', message: { ...status, id: 6 } },
      { kind: 'reset', module: 'slow' },
      { kind: 'reset', module: 'absent' },
      { kind: 'message', module: 'slow', message: { ...status, id: 7 } },
    ]);
  });
});
