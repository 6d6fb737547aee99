import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startClipboardBackend } from '../../src/actions/clipboard/backend-choice.js';
import { type ClipboardReadError, type SelectionName } from '../../src/platform/clipboard/backend.js';
import { X11ClipboardBackend } from '../../src/platform/clipboard/x11/backend.js';
import { startXvfb, type XServer } from '../support/x-server.js';
import { xclipCopy, xclipPaste } from '../support/xclip.js';

/** A byte pattern that is not text, of any size. */
const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + (i >> 9)) & 0xff));

describe('the X11 clipboard on a real X server (Xvfb, xclip as the other application)', () => {
  let x: XServer;
  let backend: X11ClipboardBackend;
  let owners: [SelectionName, readonly string[] | null][];

  /** The next owner change the backend reports. */
  const nextOwner = async (): Promise<[SelectionName, readonly string[] | null]> => {
    await expect.poll(() => owners.length, { timeout: 5000 }).toBeGreaterThan(0);
    return owners.shift() as [SelectionName, readonly string[] | null];
  };

  beforeEach(async () => {
    // A new server each time: no owner left over from another test.
    x = await startXvfb();
    owners = [];
    backend = new X11ClipboardBackend(x.display, { timeoutMs: 2000 });
    backend.on('owner', (s, t) => owners.push([s, t]));
    await backend.start();
  });
  afterEach(async () => {
    await backend.close();
    await x.stop();
  });

  it('reports another application’s copy with the targets it offers, per selection', async () => {
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'one');
    expect(await nextOwner()).toEqual(['clipboard', ['UTF8_STRING']]);
    await xclipCopy(x.env, 'primary', 'image/png', 'two');
    expect(await nextOwner()).toEqual(['primary', ['image/png']]);
  });

  it('reads text exactly as the owner has it, trailing newline included', async () => {
    await xclipCopy(x.env, 'clipboard', 'UTF8_STRING', 'héllo\nworld\n');
    await nextOwner();
    expect((await backend.read('clipboard', 'UTF8_STRING', 1000)).toString()).toBe('héllo\nworld\n');
  });

  it('reads 3 MB that the owner sends in INCR pieces, byte-exact', async () => {
    const big = pattern(3_000_000);
    await xclipCopy(x.env, 'clipboard', 'image/png', big);
    await nextOwner();
    const got = await backend.read('clipboard', 'image/png', 4_000_000);
    let i = 0;
    while (i < got.length && got[i] === big[i]) i++;
    expect([got.length, i]).toEqual([big.length, big.length]);
  });

  it('holds an INCR transfer of unannounced size in a buffer of its own size, not one of the limit', async () => {
    const big = pattern(1_500_000);
    await xclipCopy(x.env, 'clipboard', 'image/png', big);
    await nextOwner();
    const got = await backend.read('clipboard', 'image/png', 128 * 1024 * 1024);
    expect(got.equals(big)).toBe(true);
    expect(got.buffer.byteLength).toBe(big.length);
  });

  it('refuses data over the limit, a target the owner refuses, and a selection nobody owns, by code', async () => {
    const code = (p: Promise<Buffer>): Promise<string> => p.then(() => 'ok', (e: ClipboardReadError) => e.code);
    expect(await code(backend.read('primary', 'UTF8_STRING', 1000))).toBe('no-owner');
    await xclipCopy(x.env, 'clipboard', 'image/png', pattern(300_000));
    await nextOwner();
    expect(await code(backend.read('clipboard', 'image/png', 1000))).toBe('too-large');
    // The connection is still good after a failure.
    expect((await backend.read('clipboard', 'image/png', 400_000)).length).toBe(300_000);
    // xclip answers any target with its data; another agent refuses what it does not offer.
    const other = new X11ClipboardBackend(x.display);
    await other.start();
    other.claim('primary', ['UTF8_STRING'], async () => Buffer.from('x'));
    try {
      await nextOwner();
      expect(await code(backend.read('primary', 'image/jpeg', 1000))).toBe('refused');
      expect((await backend.read('primary', 'UTF8_STRING', 1000)).toString()).toBe('x');
    } finally {
      await other.close();
    }
  });

  it('serves a paste by demand from a claim, INCR for large data, and lists its targets', async () => {
    const big = pattern(1_500_000);
    const asked: string[] = [];
    backend.claim('clipboard', ['UTF8_STRING', 'image/png'], async (target) => {
      asked.push(target);
      return target === 'image/png' ? big : Buffer.from('from the client');
    });
    expect(asked).toEqual([]);
    expect((await xclipPaste(x.env, 'clipboard', 'TARGETS'))?.toString().split('\n').filter(Boolean)).toEqual(['TARGETS', 'UTF8_STRING', 'image/png']);
    expect((await xclipPaste(x.env, 'clipboard', 'UTF8_STRING'))?.toString()).toBe('from the client');
    expect((await xclipPaste(x.env, 'clipboard', 'image/png'))?.equals(big)).toBe(true);
    expect(await xclipPaste(x.env, 'clipboard', 'image/jpeg')).toBeNull();
    expect(asked).toEqual(['UTF8_STRING', 'image/png']);
    // Its own claim is never reported as another application's copy.
    expect(owners).toEqual([]);
  });

  it('refuses a paste when the provider has nothing, and reports the owner gone after a disown', async () => {
    backend.claim('primary', ['UTF8_STRING'], async () => null);
    expect(await xclipPaste(x.env, 'primary', 'UTF8_STRING')).toBeNull();
    backend.disown('primary');
    expect(await nextOwner()).toEqual(['primary', null]);
    expect(await xclipPaste(x.env, 'primary', 'UTF8_STRING')).toBeNull();
  });

  it('loses its claim to the next application that copies, and reports that one', async () => {
    backend.claim('clipboard', ['UTF8_STRING'], async () => Buffer.from('ours'));
    await xclipCopy(x.env, 'clipboard', 'text/plain', 'theirs');
    expect(await nextOwner()).toEqual(['clipboard', ['text/plain']]);
    expect((await xclipPaste(x.env, 'clipboard', 'text/plain'))?.toString()).toBe('theirs');
  });
});

describe('choosing the clipboard backend for a session', () => {
  it('falls back to X11 (Xwayland on GNOME) when the Wayland display has no data control, and says why', async () => {
    const x = await startXvfb();
    const dir = mkdtempSync(join(tmpdir(), 'no-wayland-'));
    const notes: string[] = [];
    try {
      // A Wayland display nobody serves: wl-paste fails as it does on a compositor without data control.
      const env = { ...x.env, XDG_RUNTIME_DIR: dir, WAYLAND_DISPLAY: 'wayland-none' };
      const backend = await startClipboardBackend('auto', env, () => undefined, (why) => notes.push(why));
      expect(backend).toBeInstanceOf(X11ClipboardBackend);
      expect(notes).toEqual([expect.stringMatching(/^wayland: .*: using x11$/)]);
      await backend.close();
      await expect(startClipboardBackend('wayland', env, () => undefined, () => undefined)).rejects.toThrow(/^wayland: /);
    } finally {
      await x.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
