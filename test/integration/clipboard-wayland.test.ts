import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WaylandClipboardBackend } from '../../src/platform/clipboard/wayland.js';
import { canRunAsOtherUser, compositorUser, startSway, type Compositor } from '../support/wayland.js';
import { DriverError, WaylandClipboardDriver } from '../support/wayland-clipboard-driver.js';
import { SelectionSpy, wlCopy, wlPaste, wlRun, wlTypes, type WlCopy, type WlSelection } from '../support/wl-clipboard.js';

/** The types wl-copy offers for `--type text/plain;charset=utf-8`: that type and its text aliases. */
const UTF8_TYPES = ['text/plain;charset=utf-8', 'text/plain', 'TEXT', 'STRING', 'UTF8_STRING'];

const SELECTIONS: readonly WlSelection[] = ['clipboard', 'primary'];
const flag = (selection: WlSelection): string[] => (selection === 'primary' ? ['--primary'] : []);

/** A type only the tests' barrier owner offers. */
const BARRIER = 'application/x-vdagent-test-barrier';

/** A 1 MiB "image": the PNG signature, then random bytes (NULs, CRs and LFs included). */
const IMAGE = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(1024 * 1024 - 8)]);

/** The code of the error a driver call rejected with. */
async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    if (err instanceof DriverError) return err.code;
    throw err;
  }
  return 'no error';
}

/** The wl-copy temporary folders (wl-clipboard 2.1.0 keeps the data there) that the compositor's user owns. */
function copyBuffers(): string[] {
  const { uid } = compositorUser();
  return readdirSync('/tmp')
    .filter((f) => f.startsWith('wl-copy-buffer-'))
    .filter((f) => statSync(join('/tmp', f)).uid === uid);
}

describe.runIf(canRunAsOtherUser)('Wayland clipboard backend on sway (wlroots headless, wl-clipboard, wlr-data-control), as the session user', () => {
  let dir: string;
  let sway: Compositor;
  let spy: SelectionSpy;
  let backend: WaylandClipboardDriver;
  const apps: WlCopy[] = [];

  /** Another application copies, and the witness sees the compositor announce it. */
  const copy = async (selection: WlSelection, type: string, data: Buffer | string): Promise<WlCopy> => {
    spy.forget(selection);
    const app = wlCopy(sway.env, selection, type, data);
    apps.push(app);
    await spy.until(selection, (types) => types?.includes(type) === true);
    return app;
  };
  /** Another application clears a selection, and the witness sees it empty. */
  const clear = async (selection: WlSelection): Promise<void> => {
    spy.forget(selection);
    await wlRun(sway.env, 'wl-copy', [...flag(selection), '--clear']);
    await spy.until(selection, (types) => types === null);
  };

  beforeAll(async () => {
    // No silent skip: sway must run as an unprivileged user, which takes root here.
    if (!canRunAsOtherUser) throw new Error('this test runs sway as a test user and needs root');
    dir = mkdtempSync(join(tmpdir(), 'sway-clipboard-'));
    sway = await startSway(dir);
    spy = new SelectionSpy(sway.env);
    await spy.until('clipboard', () => true);
    backend = new WaylandClipboardDriver(sway.env, 1000);
    await backend.call('start');
  });

  afterEach(async () => {
    // Back to a known state. Every application exits by itself once the selection it held is
    // replaced or cleared (a killed wl-copy 2.1.0 leaves its copy in /tmp behind); then a barrier
    // owner on each selection and its clear: whatever the backend reported before them is passed over.
    for (const selection of SELECTIONS) await wlRun(sway.env, 'wl-copy', [...flag(selection), '--clear']);
    await Promise.all(apps.splice(0).map((a) => a.exited()));
    for (const selection of SELECTIONS) await copy(selection, BARRIER, 'barrier');
    await backend.passed(SELECTIONS.map((selection) => ({ event: 'owner', selection, targets: [BARRIER] })));
    for (const selection of SELECTIONS) await clear(selection);
    await backend.passed(SELECTIONS.map((selection) => ({ event: 'owner', selection, targets: null })));
    await Promise.all(apps.splice(0).map((a) => a.exited()));
  });

  afterAll(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
    await backend?.stop();
    await spy?.stop();
    await sway?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports another application’s copy with its types, and its clear as no owner', async () => {
    await copy('clipboard', 'text/plain;charset=utf-8', 'hello');
    expect(await backend.next()).toEqual({ event: 'owner', selection: 'clipboard', targets: UTF8_TYPES });
    await copy('primary', 'image/png', IMAGE);
    expect(await backend.next()).toEqual({ event: 'owner', selection: 'primary', targets: ['image/png'] });
    await clear('clipboard');
    expect(await backend.next()).toEqual({ event: 'owner', selection: 'clipboard', targets: null });
  });

  it('reads exactly the bytes the owner gives: text with and without a trailing newline, 1 MiB of binary PNG', async () => {
    await copy('clipboard', 'text/plain;charset=utf-8', 'two lines\nand a newline\n');
    expect(await backend.read('clipboard', 'text/plain;charset=utf-8', 1000)).toEqual(Buffer.from('two lines\nand a newline\n'));
    expect(await backend.read('clipboard', 'UTF8_STRING', 1000)).toEqual(Buffer.from('two lines\nand a newline\n'));
    await copy('clipboard', 'text/plain;charset=utf-8', 'no newline');
    expect(await backend.read('clipboard', 'text/plain', 1000)).toEqual(Buffer.from('no newline'));
    await copy('primary', 'image/png', IMAGE);
    const image = await backend.read('primary', 'image/png', IMAGE.length);
    expect(image.length).toBe(IMAGE.length);
    expect(image.equals(IMAGE)).toBe(true);
  });

  it('fails reads by code: too-large over the limit, refused for a type not offered, no-owner, timeout', async () => {
    await copy('clipboard', 'image/png', IMAGE);
    expect(await codeOf(backend.read('clipboard', 'image/png', IMAGE.length - 1))).toBe('too-large');
    expect(await codeOf(backend.read('clipboard', 'text/plain', 1000))).toBe('refused');
    await clear('clipboard');
    expect(await codeOf(backend.read('clipboard', 'text/plain', 1000))).toBe('no-owner');
    // An owner that never answers (frozen): the read gives up after the backend's timeout.
    const frozen = await copy('primary', 'text/plain;charset=utf-8', 'frozen');
    frozen.freeze();
    expect(await codeOf(backend.read('primary', 'text/plain', 1000))).toBe('timeout');
    frozen.thaw();
  });

  it('claims for the peer: other applications paste exactly the peer’s bytes, and the claim is not reported as an owner', async () => {
    const text = Buffer.from('from the peer\r\nwith é and a NUL \0 inside\n');
    await backend.claim('clipboard', ['UTF8_STRING', 'text/plain;charset=utf-8', 'text/plain', 'TEXT', 'image/png'], text);
    expect(await backend.next()).toEqual({ event: 'provide', selection: 'clipboard', target: 'text/plain;charset=utf-8' });
    await spy.until('clipboard', (types) => types !== null && UTF8_TYPES.every((t) => types.includes(t)));
    expect(await wlPaste(sway.env, 'clipboard', 'text/plain;charset=utf-8')).toEqual(text);
    expect(await wlPaste(sway.env, 'clipboard', 'UTF8_STRING')).toEqual(text);

    await backend.claim('primary', ['image/png'], IMAGE);
    expect(await backend.next()).toEqual({ event: 'provide', selection: 'primary', target: 'image/png' });
    await spy.until('primary', (types) => types?.includes('image/png') === true);
    expect((await wlPaste(sway.env, 'primary', 'image/png'))?.equals(IMAGE)).toBe(true);

    // The next owners reported are other applications': nothing came of our own claims.
    await copy('clipboard', 'image/png', 'another application');
    await copy('primary', 'application/x-other', 'and another');
    const next = [await backend.next(), await backend.next()];
    expect(next).toEqual(
      expect.arrayContaining([
        { event: 'owner', selection: 'clipboard', targets: ['image/png'] },
        { event: 'owner', selection: 'primary', targets: ['application/x-other'] },
      ]),
    );
  });

  it('a peer with no data leaves the selection empty', async () => {
    await copy('clipboard', 'text/plain;charset=utf-8', 'the guest’s old text');
    expect(await backend.next()).toEqual({ event: 'owner', selection: 'clipboard', targets: UTF8_TYPES });
    await backend.claim('clipboard', ['UTF8_STRING'], null);
    expect(await backend.next()).toEqual({ event: 'provide', selection: 'clipboard', target: 'UTF8_STRING' });
    await spy.until('clipboard', (types) => types === null);
    expect(await wlTypes(sway.env, 'clipboard')).toBeNull();
    // Our emptying is not reported: the next owner is the next application's.
    await copy('clipboard', 'application/x-next', 'next');
    expect(await backend.next()).toEqual({ event: 'owner', selection: 'clipboard', targets: ['application/x-next'] });
  });

  it('disown empties the selection without reporting it; after another owner took it, disown leaves that owner alone', async () => {
    await backend.claim('clipboard', ['text/plain'], Buffer.from('peer'));
    expect(await backend.next()).toEqual({ event: 'provide', selection: 'clipboard', target: 'text/plain' });
    await spy.until('clipboard', (types) => types?.includes('text/plain') === true);
    await backend.call('disown', { selection: 'clipboard' });
    await spy.until('clipboard', (types) => types === null);
    expect(await wlTypes(sway.env, 'clipboard')).toBeNull();
    await copy('clipboard', 'application/x-next', 'next');
    expect(await backend.next()).toEqual({ event: 'owner', selection: 'clipboard', targets: ['application/x-next'] });

    await backend.claim('clipboard', ['text/plain'], Buffer.from('peer again'));
    expect(await backend.next()).toEqual({ event: 'provide', selection: 'clipboard', target: 'text/plain' });
    await spy.until('clipboard', (types) => types?.includes('text/plain') === true);
    await copy('clipboard', 'image/png', 'a guest application');
    expect(await backend.next()).toEqual({ event: 'owner', selection: 'clipboard', targets: ['image/png'] });
    await backend.call('disown', { selection: 'clipboard' });
    expect(await wlPaste(sway.env, 'clipboard', 'image/png')).toEqual(Buffer.from('a guest application'));
  });

  it('close ends every process it started, fails the pending read, and takes our data off the selection', async () => {
    const other = new WaylandClipboardDriver(sway.env, 60_000);
    try {
      await other.call('start');
      const frozen = await copy('primary', 'text/plain;charset=utf-8', 'frozen');
      expect(await other.next()).toEqual({ event: 'owner', selection: 'primary', targets: UTF8_TYPES });
      frozen.freeze();
      const pending = codeOf(other.read('primary', 'text/plain', 1000));
      const before = copyBuffers();
      await other.claim('clipboard', ['text/plain'], Buffer.from('peer'));
      expect(await other.next()).toEqual({ event: 'provide', selection: 'clipboard', target: 'text/plain' });
      await spy.until('clipboard', (types) => types?.includes('text/plain') === true);
      const closed = await other.call('close');
      expect(await pending).toBe('failed');
      expect(closed.children).toEqual([]);
      frozen.thaw();
      expect(await wlTypes(sway.env, 'clipboard')).toBeNull();
      expect(copyBuffers().filter((b) => !before.includes(b))).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});

describe('Wayland clipboard backend without its tools or compositor', () => {
  it('start() rejects naming wl-paste and the Debian package when wl-paste is missing', async () => {
    const backend = new WaylandClipboardBackend({ PATH: '/nonexistent', WAYLAND_DISPLAY: 'wayland-0' });
    await expect(backend.start()).rejects.toThrow(/wl-paste.*wl-clipboard/);
  });

  it('start() rejects when there is no compositor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-wayland-'));
    try {
      const backend = new WaylandClipboardBackend({ PATH: process.env.PATH, XDG_RUNTIME_DIR: dir, WAYLAND_DISPLAY: 'wayland-9' });
      await expect(backend.start()).rejects.toBeInstanceOf(Error);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
