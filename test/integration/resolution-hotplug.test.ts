import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResolutionModule } from '../../src/actions/resolution/module.js';
import { ReplyError } from '../../src/protocol/index.js';
import { collectingContext, monitorsConfig, replies } from '../support/module-context.js';
import { startXvfb, type XServer } from '../support/x-server.js';

// Xvfb has no DRM device and no udevd runs here: `tail -f` on a file stands in for `udevadm
// monitor` (the test appends what udevadm prints for a qxl hotplug), behind the module's real
// watcher; the outputs are read back and set with the real xrandr. Xvfb's one output has no
// preferred mode that could change, so here a hotplug must change nothing; a real kernel's
// hotplug that changes the preferred mode is in test/e2e/drm-resize.e2e.ts.

const HOTPLUG = `UDEV  [52.311245] change   /devices/pci0000:00/0000:00:01.0/drm/card0 (drm)
ACTION=change
SUBSYSTEM=drm
HOTPLUG=1
DEVNAME=/dev/dri/card0

`;

const dir = mkdtempSync(join(tmpdir(), 'resolution-hotplug-'));
let x: XServer;
beforeAll(async () => {
  x = await startXvfb();
});
afterAll(async () => {
  await x.stop();
  rmSync(dir, { recursive: true, force: true });
});

const size = (): string => /current (\d+ x \d+)/.exec(execFileSync('xrandr', ['--current'], { env: { ...process.env, ...x.env } }).toString())?.[1] ?? '';

/** A module on Xvfb whose hotplug monitor is `tail -f` on a fresh events file, which it starts with. */
async function start(settings: Record<string, string> = {}, path?: string) {
  const events = join(dir, `events-${Math.random().toString(36).slice(2)}`);
  writeFileSync(events, '');
  const pidFile = `${events}.pid`;
  const module = new ResolutionModule({
    env: path ? { ...x.env, PATH: path } : x.env,
    debounceMs: 30,
    hotplugSettleMs: 300,
    hotplug: { command: ['/bin/sh', '-c', `echo $$ > ${pidFile}; exec tail -n +1 -f ${events}`] },
  });
  const context = collectingContext(settings);
  await module.start(context.ctx);
  return { module, ...context, hotplug: () => appendFileSync(events, HOTPLUG), pidFile };
}

describe('resolution following DRM hotplugs on X11 (a stand-in for udevadm, Xvfb and xrandr)', () => {
  it('reads the outputs back after a burst of hotplugs and leaves the screen alone when no connector changed', async () => {
    const r = await start();
    const before = size();
    r.hotplug();
    r.hotplug();
    r.hotplug();
    await expect.poll(() => r.logs(), { timeout: 15_000 }).toContain('DRM hotplug, nothing to apply (unchanged)');
    expect(r.logs().match(/DRM hotplug/g)).toHaveLength(1);
    expect(size()).toBe(before);
    await r.module.stop();
  });

  it('keeps a MONITORS_CONFIG layout through a later hotplug that changes no connector', async () => {
    const r = await start();
    r.module.handle(monitorsConfig([{ width: 1280, height: 720 }]));
    await expect.poll(() => replies(r.sent).map((m) => m.error), { timeout: 15_000 }).toEqual([ReplyError.Success]);
    expect(size()).toBe('1280 x 720');
    r.hotplug();
    await expect.poll(() => r.logs(), { timeout: 15_000 }).toContain('DRM hotplug, nothing to apply (unchanged)');
    expect(size()).toBe('1280 x 720');
    await r.module.stop();
  });

  it('keeps at most one follow-up waiting while a slow desktop reads its outputs back: bursts that settle meanwhile are folded into it', async () => {
    // xrandr as a slow desktop: each read of the outputs takes a second and is counted.
    const reads = join(dir, `reads-${Math.random().toString(36).slice(2)}`);
    const bin = mkdtempSync(join(dir, 'bin-'));
    writeFileSync(join(bin, 'xrandr'), `#!/bin/sh\ncase " $* " in *" --output "*) ;; *) echo >> ${reads}; sleep 1;; esac\nexec /usr/bin/xrandr "$@"\n`, { mode: 0o755 });
    const r = await start({}, `${bin}:${process.env.PATH ?? ''}`);
    await expect.poll(() => existsSync(r.pidFile), { timeout: 10_000 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const count = (): number => (existsSync(reads) ? readFileSync(reads, 'utf8').length : 0);
    const before = count();
    // Twelve bursts, each settling (300 ms) before the next: six seconds of them, three reads' worth.
    for (let i = 0; i < 12; i++) {
      r.hotplug();
      await new Promise((resolve) => setTimeout(resolve, 450));
    }
    const followed = (): number => r.logs().match(/DRM hotplug, nothing to apply/g)?.length ?? 0;
    // Quiet: nothing followed for two and a half seconds, more than two reads' time.
    for (let last = -1; followed() !== last; ) {
      last = followed();
      await new Promise((resolve) => setTimeout(resolve, 2500));
    }
    process.stderr.write(`12 settled bursts during slow reads: ${followed()} follow-ups, ${count() - before} reads\n`);
    // Chained one per burst, twelve reads ran one after another, the last some twelve seconds late.
    expect(followed()).toBeGreaterThan(0);
    expect(followed()).toBeLessThanOrEqual(8);
    await r.module.stop();
  }, 90_000);

  it('starts no monitor with auto-resize = off, and ends it when the module stops', async () => {
    const off = await start({ 'auto-resize': 'off' });
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(off.pidFile)).toBe(false);
    await off.module.stop();
    const on = await start();
    // The shell creates the file before `echo` writes to it: wait for the whole line, not the file
    // (an empty read is pid 0, which means the test's own process group).
    const written = (): string => (existsSync(on.pidFile) ? readFileSync(on.pidFile, 'utf8') : '');
    await expect.poll(written, { timeout: 10_000 }).toMatch(/^[1-9]\d*\n$/);
    const pid = Number(written());
    await on.module.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
