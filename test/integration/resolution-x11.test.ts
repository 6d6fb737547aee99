import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReplyError } from '../../src/protocol/index.js';
import { monitorsConfig } from '../support/module-context.js';
import { startResolution } from '../support/resolution.js';
import { canStartXorg, startXorgDummy, startXvfb, type XServer } from '../support/x-server.js';

/** The X screen as xrandr reports it: its size and each active monitor (output, size, place). */
function screen(x: XServer): { size: string; monitors: string[] } {
  const env = { ...process.env, ...x.env };
  const size = /current (\d+) x (\d+)/.exec(execFileSync('xrandr', ['--current'], { env }).toString());
  const monitors = execFileSync('xrandr', ['--listmonitors'], { env })
    .toString()
    .split('\n')
    .map((l) => /^\s*\d+: [+*]*(\S+) (\d+)\/\d+x(\d+)\/\d+\+(\d+)\+(\d+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m[1]} ${m[2]}x${m[3]}+${m[4]}+${m[5]}`);
  return { size: `${size?.[1]}x${size?.[2]}`, monitors };
}

describe('resolution on Xvfb (RandR with a single output, "screen")', () => {
  let x: XServer;
  beforeAll(async () => {
    x = await startXvfb();
  });
  afterAll(() => x.stop());

  it('a one-monitor config creates the mode and changes the X screen to it', async () => {
    const r = await startResolution(x.env);
    r.module.handle(monitorsConfig([{ width: 1280, height: 720 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(screen(x)).toEqual({ size: '1280x720', monitors: ['screen 1280x720+0+0'] });
    await r.module.stop();
  });

  it('a two-monitor config shows the first monitor on the only output; the second has none and is ignored', async () => {
    const r = await startResolution(x.env);
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }, { width: 800, height: 600, x: 1024 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(screen(x)).toEqual({ size: '1024x768', monitors: ['screen 1024x768+0+0'] });
    expect(r.logs()).toContain('no output left for monitor(s) 1; ignored');
    await r.module.stop();
  });

  it('answers ERROR for a config still waiting out its burst when the module stops, and applies nothing', async () => {
    const r = await startResolution(x.env);
    const before = screen(x);
    r.module.handle(monitorsConfig([{ width: 640, height: 480 }]));
    await r.module.stop();
    expect(await r.answered(1)).toEqual([ReplyError.Error]);
    expect(screen(x)).toEqual(before);
  });

  it('drops, unanswered, the config of a client that leaves before its burst ends', async () => {
    const r = await startResolution(x.env);
    const before = screen(x);
    r.module.handle(monitorsConfig([{ width: 640, height: 480 }]));
    r.module.resetClient();
    await new Promise((done) => setTimeout(done, 200));
    expect(r.sent).toEqual([]);
    expect(screen(x)).toEqual(before);
    await r.module.stop();
  });

  it('answers ERROR for a size larger than the X server allows, and leaves the screen as it was', async () => {
    const r = await startResolution(x.env);
    const before = screen(x);
    r.module.handle(monitorsConfig([{ width: 8000, height: 4000 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Error]);
    expect(screen(x)).toEqual(before);
    await r.module.stop();
  });
});

describe.runIf(canStartXorg)('resolution on Xorg with the dummy driver (16 RandR outputs)', () => {
  let x: XServer;
  let dir: string;
  let r: Awaited<ReturnType<typeof startResolution>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xorg-'));
    x = await startXorgDummy(dir);
  });
  afterAll(async () => {
    await x.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => r.module.stop());

  it('one monitor, then two side by side, then one again: outputs switch on and off, the screen follows', async () => {
    r = await startResolution(x.env);
    r.module.handle(monitorsConfig([{ width: 1000, height: 700 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(screen(x)).toEqual({ size: '1000x700', monitors: ['DUMMY0 1000x700+0+0'] });

    r.module.handle(monitorsConfig([{ width: 1280, height: 720 }, { width: 800, height: 600, x: 1280 }]));
    expect(await r.answered(2)).toEqual([ReplyError.Success, ReplyError.Success]);
    expect(screen(x)).toEqual({ size: '2080x720', monitors: ['DUMMY0 1280x720+0+0', 'DUMMY1 800x600+1280+0'] });
    expect(r.layouts.at(-1)).toEqual([
      { x: 0, y: 0, width: 1280, height: 720, output: 'DUMMY0', displayId: 0 },
      { x: 1280, y: 0, width: 800, height: 600, output: 'DUMMY1', displayId: 1 },
    ]);

    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }]));
    expect(await r.answered(3)).toEqual([ReplyError.Success, ReplyError.Success, ReplyError.Success]);
    expect(screen(x)).toEqual({ size: '1024x768', monitors: ['DUMMY0 1024x768+0+0'] });
    // The modes made for 1000x700 and 1280x720 are gone once unused.
    expect(execFileSync('xrandr', ['--verbose'], { env: { ...process.env, ...x.env } }).toString()).not.toMatch(/vdagent-/);
  });

  it('a burst is applied once, its last config wins, and every message of it is answered', async () => {
    r = await startResolution(x.env);
    for (const width of [900, 910, 920, 930, 944]) r.module.handle(monitorsConfig([{ width, height: 700 }]));
    expect(await r.answered(5)).toEqual(Array(5).fill(ReplyError.Success));
    expect(screen(x).monitors).toEqual(['DUMMY0 944x700+0+0']);
    expect(r.layouts).toHaveLength(1);
  });

  it('sparse configs keep each monitor at its index; negative positions are shifted to the origin', async () => {
    r = await startResolution(x.env);
    const sparse = Array.from({ length: 16 }, () => ({ width: 0, height: 0 }));
    sparse[1] = { width: 800, height: 600, x: -800, y: -50 } as { width: number; height: number };
    sparse[2] = { width: 640, height: 480, x: 0, y: 0 } as { width: number; height: number };
    r.module.handle(monitorsConfig(sparse));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(screen(x).monitors).toEqual(['DUMMY1 800x600+0+0', 'DUMMY2 640x480+800+50']);
  });

  it('answers ERROR for 0×0 everywhere and leaves the screen alone; 64 monitors fill the 16 outputs', async () => {
    r = await startResolution(x.env);
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }]));
    await r.answered(1);
    r.module.handle(monitorsConfig([{ width: 0, height: 0 }, { width: 0, height: 0 }]));
    expect(await r.answered(2)).toEqual([ReplyError.Success, ReplyError.Error]);
    expect(screen(x).monitors).toEqual(['DUMMY0 1024x768+0+0']);

    r.module.handle(monitorsConfig(Array.from({ length: 64 }, (_, i) => ({ width: 640, height: 480, x: 640 * i }))));
    expect(await r.answered(3)).toEqual([ReplyError.Success, ReplyError.Error, ReplyError.Success]);
    expect(screen(x).monitors).toHaveLength(16);
    expect(screen(x).size).toBe('10240x480');
  });

  it('with auto-resize = off answers SUCCESS and leaves the layout alone', async () => {
    r = await startResolution(x.env);
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }]));
    await r.answered(1);
    await r.module.stop();
    r = await startResolution(x.env, { 'auto-resize': 'off' });
    r.module.handle(monitorsConfig([{ width: 800, height: 600 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(screen(x).monitors).toEqual(['DUMMY0 1024x768+0+0']);
  });
});
