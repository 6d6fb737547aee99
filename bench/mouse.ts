import { execFileSync } from 'node:child_process';
import { makeActionsDir } from '../test/support/actions-dir.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType, NO_PEER, toChunks } from '../src/protocol/index.js';
import { startPtyHarness, type Harness } from '../test/support/harness.js';
import { SHIPPED_CLI } from './agents.js';
import { EventReader } from './event-reader.js';
import { monotonicMs } from './event-reader-shared.js';

type Add = (name: string, value: string, target: string) => void;

const WIDTH = 4096;
/** Messages at 1,000 msg/s before the measured ones: the JIT of both processes settles. */
const WARM_UP = 3000;
/** Messages measured at 1,000 msg/s (ten seconds: p99.9 rests on ten samples). */
const COUNT = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

/** One MOUSE_STATE as the server sends it (chunk port 2), at a given x. */
const mouseState = (x: number): Buffer => Buffer.concat(toChunks({ type: MessageType.MouseState, x, y: 100, buttons: 0, displayId: 0 }, NO_PEER, 2));

/**
 * Writes one MOUSE_STATE per millisecond on the pty master, each at its own x, and returns for
 * each the time from just before its write to the arrival of its SYN_REPORT at the reader thread,
 * in milliseconds, and the rate achieved. One interval timer drives the writes (each tick writes
 * what is due); the writer's own wake-ups do not count, as each message is stamped as it is written.
 */
async function latencies(h: Harness, reader: EventReader, states: readonly Buffer[], count: number): Promise<{ ms: Float64Array; rate: number }> {
  reader.reset();
  const start = monotonicMs();
  let i = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (; i < count && start + i <= monotonicMs(); i++) {
        const x = 1 + (i % (WIDTH - 1));
        reader.sentAt(x, monotonicMs());
        void h.sim.port.write(states[x] as Buffer);
      }
      if (i < count) return;
      clearInterval(timer);
      resolve();
    }, 1);
  });
  const rate = count / ((monotonicMs() - start) / 1000);
  await sleep(200);
  return { ms: reader.recorded(), rate };
}

/** MOUSE_STATE → input event latency at 1,000 messages/s, and the sustained rate, through the daemon with --fake-uinput on a FIFO. */
export async function mouseBenchmarks(add: Add): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mouse-'));
  const actions = makeActionsDir(dir, { mouse: `layout = ${WIDTH}x2160+0+0\n` });
  const fifo = join(dir, 'events');
  execFileSync('mkfifo', [fifo]);
  const reader = new EventReader(fifo, WIDTH, COUNT);
  const states = Array.from({ length: WIDTH }, (_, x) => mouseState(x));
  let h: Harness | undefined;
  try {
    h = await startPtyHarness({ actionsDirs: [actions], extraArgs: ['--fake-uinput', fifo], cli: SHIPPED_CLI });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
    const daemon = h;

    // Latency at 1,000 msg/s after a warm-up at the same rate. This process's own garbage (the
    // benchmarks before) is collected first rather than in the measured run: `npm run bench` runs
    // node with --expose-gc, and with --no-memory-reducer so that V8 does not answer this quiet
    // loop with a compacting collection 8 s later. The daemon runs as it always does.
    await sleep(500);
    globalThis.gc?.();
    await latencies(daemon, reader, states, WARM_UP);
    const { ms, rate } = await latencies(daemon, reader, states, COUNT);
    const sorted = [...ms].sort((a, b) => a - b);
    const lost = COUNT - ms.length;
    add(`MOUSE_STATE -> event latency p50 (${Math.round(rate)} msg/s)`, `${percentile(sorted, 50).toFixed(3)} ms`, 'reported');
    add('MOUSE_STATE -> event latency p99', `${percentile(sorted, 99).toFixed(3)} ms`, '< 1 ms');
    add('MOUSE_STATE -> event latency p99.9, max', `${percentile(sorted, 99.9).toFixed(3)}, ${(sorted.at(-1) ?? NaN).toFixed(3)} ms${lost > 0 ? `, ${lost} lost` : ''}`, 'reported');

    // Sustained rate (last: its burst of garbage stays out of the latency runs): 100,000 messages
    // written at once, each moving the pointer; until the last one's SYN_REPORT.
    const n = 100_000;
    const all = Buffer.concat(Array.from({ length: n }, (_, i) => states[i % 2 === 0 ? 10 : 20] as Buffer));
    const done = reader.whenSynced(WIDTH - 1);
    const t0 = performance.now();
    await daemon.sim.sendRaw(Buffer.concat([all, states[WIDTH - 1] as Buffer]));
    await done;
    add('MOUSE_STATE -> events, sustained (100,000 messages)', `${Math.round((n + 1) / ((performance.now() - t0) / 1000)).toLocaleString('en')} msg/s`, '>= 50,000 msg/s');
  } finally {
    await h?.stop();
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
