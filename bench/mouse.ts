import { execFileSync } from 'node:child_process';
import { makeActionsDir } from '../test/support/actions-dir.js';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType, NO_PEER, toChunks } from '../src/protocol/index.js';
import { ABS_X, EV_ABS, EV_SYN, INPUT_EVENT_SIZE } from '../src/platform/uinput/input-event.js';
import { startPtyHarness, type Harness } from '../test/support/harness.js';

type Add = (name: string, value: string, target: string) => void;

const WIDTH = 4096;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;

/** Reads the fake tablet's FIFO and reports, for each SYN_REPORT, the ABS_X it closed and when it arrived. */
class EventReader {
  private rest = Buffer.alloc(0);
  private x = -1;
  private listener: ((x: number, at: bigint) => void) | undefined;
  readonly socket: Socket;

  constructor(fifo: string) {
    // Read-write, so the FIFO never reports end-of-file while the daemon (re)opens it.
    this.socket = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    this.socket.on('data', (chunk: Buffer) => this.take(chunk));
  }

  onSync(listener: (x: number, at: bigint) => void): void {
    this.listener = listener;
  }

  private take(chunk: Buffer): void {
    const at = process.hrtime.bigint();
    const buf = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let o = 0;
    for (; o + INPUT_EVENT_SIZE <= buf.length; o += INPUT_EVENT_SIZE) {
      const type = buf.readUInt16LE(o + 16);
      const code = buf.readUInt16LE(o + 18);
      if (type === EV_ABS && code === ABS_X) this.x = buf.readInt32LE(o + 20);
      else if (type === EV_SYN) this.listener?.(this.x, at);
    }
    this.rest = Buffer.from(buf.subarray(o));
  }
}

/** One MOUSE_STATE as the server sends it (chunk port 2), at a given x. */
const mouseState = (x: number): Buffer => Buffer.concat(toChunks({ type: MessageType.MouseState, x, y: 100, buttons: 0, displayId: 0 }, NO_PEER, 2));

/** MOUSE_STATE → input event latency at 1,000 messages/s, and the sustained rate, through the daemon with --fake-uinput on a FIFO. */
export async function mouseBenchmarks(add: Add): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mouse-'));
  const actions = makeActionsDir(dir, { mouse: `layout = ${WIDTH}x2160+0+0\n` });
  const fifo = join(dir, 'events');
  execFileSync('mkfifo', [fifo]);
  const reader = new EventReader(fifo);
  let h: Harness | undefined;
  try {
    h = await startPtyHarness({ actionsDirs: [actions], extraArgs: ['--fake-uinput', fifo] });
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
    await sleep(500);

    // Latency: one message per millisecond, each at its own x; time from write to its SYN_REPORT.
    const count = 3000;
    const sent = new Map<number, bigint>();
    const latencies: number[] = [];
    reader.onSync((x, at) => {
      const t = sent.get(x);
      if (t !== undefined) latencies.push(Number(at - t) / 1e6);
      sent.delete(x);
    });
    const start = performance.now();
    for (let i = 0; i < count; ) {
      const due = start + i;
      if (performance.now() < due) {
        await sleep(Math.max(0, due - performance.now() - 0.2));
        continue;
      }
      const x = 1 + (i % (WIDTH - 1));
      sent.set(x, process.hrtime.bigint());
      await h.sim.sendRaw(mouseState(x));
      i++;
    }
    const rate = count / ((performance.now() - start) / 1000);
    await sleep(200);
    add(`MOUSE_STATE -> event latency p50 (${Math.round(rate)} msg/s)`, `${percentile(latencies, 50).toFixed(3)} ms`, 'reported');
    add(`MOUSE_STATE -> event latency p99 (${Math.round(rate)} msg/s)`, `${percentile(latencies, 99).toFixed(3)} ms`, '< 1 ms');

    // Sustained rate: 100,000 messages written at once, each moving the pointer; until the last one's SYN_REPORT.
    const n = 100_000;
    const all = Buffer.concat(Array.from({ length: n }, (_, i) => mouseState(i % 2 === 0 ? 10 : 20)));
    const last = mouseState(WIDTH - 1);
    const done = new Promise<void>((resolve) => reader.onSync((x) => x === WIDTH - 1 && resolve()));
    const t0 = performance.now();
    await h.sim.sendRaw(Buffer.concat([all, last]));
    await done;
    add('MOUSE_STATE -> events, sustained (100,000 messages)', `${Math.round((n + 1) / ((performance.now() - t0) / 1000)).toLocaleString('en')} msg/s`, '>= 50,000 msg/s');
  } finally {
    await h?.stop();
    reader.socket.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
