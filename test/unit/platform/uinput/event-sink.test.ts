import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventSink } from '../../../../src/platform/uinput/event-sink.js';

/** A FIFO with a reader that reads only when told, and the non-blocking writer a sink uses. */
function fifo(): { writer: number; drain(): Buffer; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sink-'));
  const path = join(dir, 'events');
  execFileSync('mkfifo', [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return {
    writer,
    drain() {
      const parts: Buffer[] = [];
      const buf = Buffer.alloc(65536);
      for (;;) {
        try {
          const n = readSync(reader, buf);
          if (n === 0) break;
          parts.push(Buffer.from(buf.subarray(0, n)));
        } catch {
          break; // EAGAIN: nothing more
        }
      }
      return Buffer.concat(parts);
    },
    close() {
      closeSync(writer);
      closeSync(reader);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const record = (i: number): Buffer => Buffer.alloc(72, i & 0xff);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('the input event sink on a FIFO nobody reads', () => {
  it('falls behind once the pipe is full and its queue passes the high mark, then refuses records at its bound', () => {
    const f = fifo();
    cleanups.push(f.close);
    const changes: boolean[] = [];
    const sink = new EventSink(f.writer, (b) => changes.push(b));
    cleanups.push(() => sink.close());
    let i = 0;
    while (changes.length === 0) sink.write(record(i++));
    expect(changes).toEqual([true]);
    expect(() => {
      for (let j = 0; j < 100_000; j++) sink.write(record(i++));
    }).toThrow(expect.objectContaining({ code: 'ENOBUFS' }) as Error);
    expect(sink.pendingItems).toBeLessThanOrEqual(8192);
  });

  it('catches up when the reader drains the pipe, delivering every record in order', async () => {
    const f = fifo();
    cleanups.push(f.close);
    const changes: boolean[] = [];
    const sink = new EventSink(f.writer, (b) => changes.push(b));
    cleanups.push(() => sink.close());
    let sent = 0;
    while (changes.length === 0) sink.write(record(sent++));
    const got: Buffer[] = [];
    while (sink.pendingItems > 0) {
      got.push(f.drain());
      await new Promise((r) => setTimeout(r, 5));
    }
    got.push(f.drain());
    const all = Buffer.concat(got);
    expect(changes).toEqual([true, false]);
    expect(all.length).toBe(sent * 72);
    for (let k = 0; k < sent; k++) expect(all[k * 72]).toBe(k & 0xff);
  });
});
