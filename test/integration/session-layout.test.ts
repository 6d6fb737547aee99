import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { makeActionsDir } from '../support/actions-dir.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ABS_X, decodeInputEvents, EV_ABS } from '../../src/platform/uinput/input-event.js';
import { Capability, MessageType, ReplyError } from '../../src/protocol/index.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { monitorsConfig } from '../support/module-context.js';
import { startXvfb, type XServer } from '../support/x-server.js';

describe('the desktop layout travels from the session helper to the daemon’s mouse', () => {
  let x: XServer;
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    x = await startXvfb();
    dir = mkdtempSync(join(tmpdir(), 'layout-'));
    const actions = makeActionsDir(dir, { mouse: '', resolution: '' });
    h = await startPtyHarness({
      actionsDirs: [actions],
      session: 'current',
      env: { ...x.env, HOME: dir },
      extraArgs: ['--fake-uinput', join(dir, 'events')],
    });
  });

  afterAll(async () => {
    await h.stop();
    await x.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-creates the tablet for the size resolution applied, so the pointer reaches the new edge', async () => {
    // The helper comes up after the port opened: the resolution bits arrive in a later announcement.
    await h.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.caps.has(Capability.MonitorsConfig), timeoutMs: 15_000 });
    await h.sim.send(monitorsConfig([{ width: 1600, height: 900 }]));
    const reply = await h.sim.expect(MessageType.Reply, { timeoutMs: 10_000 });
    expect(reply.error).toBe(ReplyError.Success);
    await expect.poll(() => h.logs(), { timeout: 5000 }).toMatch(/1600x900/);
    await h.sim.mouse(1599, 10);
    await expect
      .poll(() => decodeInputEvents(readFileSync(join(dir, 'events'))).filter((e) => e.type === EV_ABS && e.code === ABS_X).map((e) => e.value).at(-1), { timeout: 5000 })
      .toBe(1599);
  }, 40_000);
});
