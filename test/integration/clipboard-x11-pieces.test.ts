import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClipboardReadError } from '../../src/platform/clipboard/backend.js';
import { XConnection } from '../../src/platform/clipboard/x11/connection.js';
import { IncomingTransfer, PIECE_SLICE } from '../../src/platform/clipboard/x11/incoming.js';
import { startXvfb, type XServer } from '../support/x-server.js';
import { xclipCopy } from '../support/xclip.js';

describe('an X11 transfer in pieces (INCR) on a real X server (Xvfb, xclip as the owner)', () => {
  let x: XServer;
  let conn: XConnection;
  let transfers = 0;

  /** Starts reading the clipboard, at most `limit` bytes; `step` runs after each event the transfer took. */
  const transfer = (limit: number, step: (t: IncomingTransfer) => void = () => undefined): IncomingTransfer => {
    // A property of its own each time, as the backend does: an owner given up on may still write into the last one.
    const property = conn.atom(`VDAGENT_TEST_${transfers++}`);
    const t = new IncomingTransfer(conn, { selection: conn.atom('CLIPBOARD'), target: conn.atom('image/png'), property, limit, timeoutMs: 2000 });
    conn.on('event', (e) => {
      if (t.handle(e)) step(t);
    });
    return t;
  };
  /** Another application copies `size` bytes; resolves once it owns the clipboard. */
  const copied = async (size: number, content = Buffer.alloc(size, 7)): Promise<void> => {
    const before = conn.owner(conn.atom('CLIPBOARD'));
    await xclipCopy(x.env, 'clipboard', 'image/png', content);
    await expect.poll(() => conn.owner(conn.atom('CLIPBOARD')), { timeout: 5000 }).not.toBe(before);
  };
  /** The sizes asked of each readProperty from now on, until stop(). */
  const sizesAsked = (): number[] & { stop(): void } => {
    const read = conn.readProperty.bind(conn);
    // stop() is not enumerable: the list compares as the plain list of sizes it is.
    const asked = Object.defineProperty([] as number[], 'stop', { value: () => void (conn.readProperty = read) }) as number[] & { stop(): void };
    conn.readProperty = (...args) => {
      asked.push(args[2]);
      return read(...args);
    };
    return asked;
  };
  const code = (p: Promise<Buffer>): Promise<string> => p.then(() => 'ok', (e: ClipboardReadError) => e.code);
  /** A turn of the event loop: what a transfer does once it has settled is done by then. */
  const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

  beforeEach(async () => {
    x = await startXvfb();
    conn = new XConnection(x.display);
  });
  afterEach(async () => {
    conn.close();
    await x.stop();
  });

  it('holds the memory of freed replies while the pieces come, and gives it back once the data is read', async () => {
    await copied(3_000_000);
    const held: boolean[] = [];
    const t = transfer(4_000_000, () => held.push(conn.holdingReplies));
    expect((await t.done).length).toBe(3_000_000);
    // Held from the announcement to the last (empty) piece.
    expect(held.length).toBeGreaterThan(2);
    expect(held.every((h) => h)).toBe(true);
    await nextTurn();
    expect(conn.holdingReplies).toBe(false);
  });

  it('reads each piece in slices of at most PIECE_SLICE bytes, and its bytes arrive whole and in order', async () => {
    const content = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => i % 251));
    await copied(content.length, content);
    const asked = sizesAsked();
    const data = await transfer(4_000_000).done;
    expect(data.equals(content)).toBe(true);
    // The first read is the INCR announcement; xclip's pieces (~1 MiB) take several slices each.
    expect(asked.slice(1).every((n) => n <= PIECE_SLICE)).toBe(true);
    expect(asked.length).toBeGreaterThan(Math.ceil(content.length / PIECE_SLICE));
  });

  it('refuses data that runs past a limit inside a piece, after some of its slices', async () => {
    await copied(3_000_000);
    expect(await code(transfer(2 * PIECE_SLICE + 5).done)).toBe('too-large');
  });

  it('gives that memory back when the transfer is given up half-way', async () => {
    await copied(3_000_000);
    const given = transfer(4_000_000, (t) => conn.holdingReplies && t.cancel());
    expect(await code(given.done)).toBe('failed');
    await nextTurn();
    expect(conn.holdingReplies).toBe(false);
  });

  describe('data the owner sets whole (xclip sets up to ~1 MiB so, without INCR)', () => {
    const WHOLE = 1_000_000;

    it('is read in slices of at most PIECE_SLICE bytes, whole and in order, and the property is deleted', async () => {
      const content = Buffer.from(Array.from({ length: WHOLE }, (_, i) => i % 253));
      await copied(content.length, content);
      const asked = sizesAsked();
      const t = transfer(4_000_000);
      const data = await t.done;
      expect(data.equals(content)).toBe(true);
      expect(asked.every((n) => n <= PIECE_SLICE)).toBe(true);
      expect(asked.length).toBe(Math.ceil(WHOLE / PIECE_SLICE));
      asked.stop();
      expect(conn.readProperty(conn.window, conn.atom(`VDAGENT_TEST_${transfers - 1}`), 4, false).type).toBe(0);
      // Stored as INCR data is: its taker can free it at once (releaseGrown).
      expect((data.buffer as ArrayBuffer).resizable).toBe(true);
    });

    it('is refused past the limit after its first slice, and the connection serves the next read', async () => {
      await copied(WHOLE);
      const asked = sizesAsked();
      expect(await code(transfer(WHOLE - 1).done)).toBe('too-large');
      expect(asked).toEqual([PIECE_SLICE]);
      asked.stop();
      await copied(WHOLE);
      expect((await transfer(WHOLE).done).length).toBe(WHOLE);
    });
  });

  it('refuses data that runs past the limit, gives the memory back, and the connection serves the next read', async () => {
    // xclip announces no size: the limit is passed at the first piece, which X returns rounded up
    // to 4-byte units, past the limit's byte.
    await copied(3_000_000);
    expect(await code(transfer(1001).done)).toBe('too-large');
    await nextTurn();
    expect(conn.holdingReplies).toBe(false);
    await copied(3_000_000);
    expect((await transfer(4_000_000).done).length).toBe(3_000_000);
  });
});
