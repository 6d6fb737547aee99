import { execFileSync } from 'node:child_process';
import { makeActionsDir } from '../support/actions-dir.js';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Capability, MessageType } from '../../src/protocol/index.js';
import { ABS_X, ABS_Y, BTN_EXTRA, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE, decodeInputEvents, EV_ABS, EV_KEY, EV_REL, EV_SYN, REL_WHEEL } from '../../src/platform/uinput/input-event.js';
import { startPtyHarness, type Harness } from '../support/harness.js';

const SYN = [EV_SYN, 0, 0];
const L = 0x02;
const M = 0x04;
const R = 0x08;
const UP = 0x10;
const DOWN = 0x20;
const S = 0x40;
const E = 0x80;

describe('mouse through the daemon on a pty (--fake-uinput)', () => {
  let dir: string;
  let actions: string;
  let h: Harness | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mouse-'));
    chmodSync(dir, 0o755);
    // Two monitors: display 0 at 0,0 and display 1 to its right.
    actions = makeActionsDir(dir, { mouse: 'layout = 1024x768+0+0, 800x600+1024+0\n' });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && h) process.stderr.write(`--- daemon log ---\n${h.logs()}\n`);
    await h?.stop();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const announced = (harness: Harness) => harness.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });

  it('injects exactly the events of a scripted sequence: moves, drags, all five buttons, the wheel, two displays', async () => {
    const events = join(dir, 'events');
    h = await startPtyHarness({ actionsDirs: [actions], extraArgs: ['--fake-uinput', events] });
    expect((await announced(h)).caps.has(Capability.MouseState)).toBe(true);
    const script: [x: number, y: number, buttons: number, display: number][] = [
      [100, 200, 0, 0], // move
      [100, 200, L, 0], // press left
      [150, 200, L, 0], // drag
      [150, 200, 0, 0], // release
      [10, 20, 0, 1], // onto display 1: its offset is added
      [10, 20, M | R | S | E, 1], // the other four buttons down
      [10, 20, 0, 1], // and up
      [10, 20, UP, 1], // a wheel notch up: the press steps
      [10, 20, 0, 1], // its release does nothing
      [10, 20, DOWN, 1], // a notch down
      [10, 20, 0, 1],
      [10, 20, L, 5], // an unknown display: ignored
      [10, 20, 0, 1], // the same state again: nothing
    ];
    for (const [x, y, buttons, display] of script) await h.sim.mouse(x, y, buttons, display);
    const expected = [
      [EV_ABS, ABS_X, 100], [EV_ABS, ABS_Y, 200], SYN,
      [EV_KEY, BTN_LEFT, 1], SYN,
      [EV_ABS, ABS_X, 150], SYN,
      [EV_KEY, BTN_LEFT, 0], SYN,
      [EV_ABS, ABS_X, 1034], [EV_ABS, ABS_Y, 20], SYN,
      [EV_KEY, BTN_MIDDLE, 1], [EV_KEY, BTN_RIGHT, 1], [EV_KEY, BTN_SIDE, 1], [EV_KEY, BTN_EXTRA, 1], SYN,
      [EV_KEY, BTN_MIDDLE, 0], [EV_KEY, BTN_RIGHT, 0], [EV_KEY, BTN_SIDE, 0], [EV_KEY, BTN_EXTRA, 0], SYN,
      [EV_REL, REL_WHEEL, 1], SYN,
      [EV_REL, REL_WHEEL, -1], SYN,
    ];
    const written = (): number[][] => (existsSync(events) ? decodeInputEvents(readFileSync(events)).map((e) => [e.type, e.code, e.value]) : []);
    await expect.poll(() => written().length, { timeout: 5000 }).toBeGreaterThanOrEqual(expected.length);
    // One more state after the script proves nothing else was pending.
    await h.sim.mouse(11, 20, 0, 1);
    await expect.poll(() => written().length, { timeout: 5000 }).toBe(expected.length + 2);
    expect(written()).toEqual([...expected, [EV_ABS, ABS_X, 1035], SYN]);
    await expect.poll(() => h?.logs(), { timeout: 3000 }).toContain('MOUSE_STATE for unknown display 5 ignored');
  });

  it('opens the SPICE port only once the tablet exists (a FIFO with no reader holds the tablet back)', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    h = await startPtyHarness({ actionsDirs: [actions], extraArgs: ['--fake-uinput', fifo] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(h.sim.records.filter((r) => r.from === 'agent')).toEqual([]);
    const reader = await open(fifo, 'r');
    try {
      expect((await announced(h)).caps.has(Capability.MouseState)).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('keeps the mouse off, and opens the port without its capability, when the tablet cannot be created', async () => {
    h = await startPtyHarness({ actionsDirs: [actions], extraArgs: ['--fake-uinput', join(dir, 'no', 'such', 'dir')] });
    expect((await announced(h)).caps.has(Capability.MouseState)).toBe(false);
    expect(h.logs()).toContain('module mouse failed to start and stays off');
  });
});
