import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/protocol/index.js';
import { startDesktopDaemon, stopAfterTest, type DesktopDaemon } from '../support/desktop-daemon.js';
import { monitorsConfig } from '../support/module-context.js';

/** Layouts the host sends, one every 250 ms: each outlasts the 200 ms burst pause, none outlasts an apply. */
const WIDTHS = [800, 816, 832, 848, 864, 880, 896, 912, 928, 944, 960, 976];

describe('a host sending layouts faster than the desktop applies them (real daemon, helper on Xvfb)', () => {
  let dir: string;
  let applied: string;
  let d: DesktopDaemon;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slow-xrandr-'));
    applied = join(dir, 'applied');
    // xrandr as a slow desktop: each call that changes outputs takes a second (GNOME's take as long).
    const xrandr = join(dir, 'xrandr');
    writeFileSync(xrandr, `#!/bin/sh\ncase " $* " in *" --output "*) echo "$*" >> ${applied}; sleep 1;; esac\nexec /usr/bin/xrandr "$@"\n`);
    chmodSync(xrandr, 0o755);
    d = await startDesktopDaemon({ env: { PATH: `${dir}:${process.env.PATH ?? ''}` } });
  });

  afterEach(async (ctx) => {
    await stopAfterTest(d, ctx.task.result?.state === 'fail');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps at most one layout waiting behind the one being applied: the last one wins, a few are applied, every message is answered', async () => {
    await expect.poll(() => d.helper(), { timeout: 10_000 }).toBeDefined();
    const replies = (): number => d.agent.sim.records.filter((r) => r.from === 'agent' && r.message?.type === MessageType.Reply).length;
    // The client's own layout at its start is answered first, if the helper served it in time.
    await d.agent.sim.expect(MessageType.Reply, { timeoutMs: 3000 }).catch(() => undefined);
    const before = replies();
    for (const width of WIDTHS) {
      await d.agent.sim.send(monitorsConfig([{ width, height: 600 }]));
      await new Promise((r) => setTimeout(r, 250));
    }
    await expect.poll(replies, { timeout: 30_000, interval: 100 }).toBe(before + WIDTHS.length);
    const applies = existsSync(applied) ? readFileSync(applied, 'utf8').trim().split('\n') : [];
    expect(applies.length).toBeLessThan(WIDTHS.length / 2);
    expect(execFileSync('/usr/bin/xrandr', ['--current'], { env: { ...process.env, ...d.xEnv } }).toString()).toMatch(/current 976 x 600/);
  }, 90_000);
});
