/**
 * A hostile host against the real daemon on a pty: a CLIPBOARD header declaring 128 MiB − 1 (the
 * largest size the default ceiling admits) followed by its payload in 1-byte chunks. The daemon's
 * memory follows the bytes it received (at most 1.1 × plus a constant), even with a V8 heap that
 * one object per piece would exhaust, and it serves the next client.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkPort, MessageType } from '../../src/protocol/index.js';
import { chunk, rawMessage } from '../support/frames.js';
import { startPtyHarness, type Harness } from '../support/harness.js';

const MiB = 1024 * 1024;
/** Bytes fed after the header: 64 MiB of 9-byte chunks. */
const FED = 64 * MiB;
/** Room for the runtime's own growth while it reads 64 MiB (read buffers awaiting collection, JIT). */
const CONSTANT = 48 * MiB;

/** `n` chunks on port 1 of one payload byte each. */
function oneByteChunks(n: number): Buffer {
  const out = Buffer.alloc(n * 9);
  for (let k = 0; k < n; k++) {
    out.writeUInt32LE(ChunkPort.Client, 9 * k);
    out.writeUInt32LE(1, 9 * k + 4);
    out[9 * k + 8] = k & 0xff;
  }
  return out;
}

/** Rejects once the process is gone (a daemon out of heap stops reading, so writes would hang); `stop()` ends the watch. */
function deathOf(pid: number): { died: Promise<never>; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const died = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (!existsSync(`/proc/${pid}/status`)) reject(new Error(`daemon ${pid} died`));
    }, 250);
  });
  died.catch(() => undefined);
  return { died, stop: () => clearInterval(timer) };
}

describe('reassembly memory under a 1-byte-chunk flood (real daemon on a pty)', () => {
  let h: Harness | undefined;

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && h) process.stderr.write(`--- daemon log ---\n${h.logs()}\n`);
    await h?.stop();
  });

  it('keeps the daemon within idle + 1.1 × fed + a constant for 64 MiB of 1-byte chunks of a 128 MiB − 1 CLIPBOARD', async () => {
    // A 192 MiB heap: one object per 1-byte piece (the old reassembler) needs over 600 MiB here.
    h = await startPtyHarness({ env: { NODE_OPTIONS: '--max-old-space-size=192' } });
    const harness = h;
    await harness.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    const idle = harness.rss();

    await harness.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.Clipboard, new Uint8Array(0), { declaredSize: 128 * MiB - 1 })));
    const block = oneByteChunks(MiB / 8); // 1.125 MiB of chunks per write
    let fed = 0;
    let peak = idle;
    const death = deathOf(harness.pid);
    try {
      while (fed < FED) {
        await Promise.race([harness.sim.sendRaw(block), death.died]);
        fed += block.length;
        peak = Math.max(peak, harness.rss());
      }
    } finally {
      death.stop();
    }
    // The daemon has read everything once it answers a message sent after the flood.
    await harness.sim.disconnect();
    harness.sim.consumeAll();
    harness.sim.connect();
    await harness.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 60_000 });
    peak = Math.max(peak, harness.rss());

    process.stderr.write(`reassembly flood: idle RSS ${(idle / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB after ${(fed / MiB).toFixed(0)} MiB fed\n`);
    expect(peak).toBeLessThanOrEqual(idle + 1.1 * fed + CONSTANT);
    expect(harness.logs()).not.toMatch(/MessageTooLarge|heap out of memory/);
  }, 240_000);
});
