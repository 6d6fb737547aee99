import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayErrorCode } from '../../src/platform/display/backend.js';
import { KscreenBackend, kscreenDoctor } from '../../src/platform/display/kscreen.js';
import { WlrootsBackend } from '../../src/platform/display/wlroots.js';
import { ReplyError } from '../../src/protocol/index.js';
import { monitorsConfig } from '../support/module-context.js';
import { alive } from '../support/proc.js';
import { startResolution } from '../support/resolution.js';
import { canRunAsOtherUser, startKwin, startMutter, startSway, type Compositor } from '../support/wayland.js';
import { ROOT } from '../support/harness.js';

describe.runIf(canRunAsOtherUser)('resolution on sway (wlroots headless backend, sway’s IPC on SWAYSOCK): one output, then a second one created', () => {
  let dir: string;
  let sway: Compositor;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sway-'));
    sway = await startSway(dir);
  });
  afterAll(async () => {
    await sway.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The active outputs as sway itself reports them. */
  const outputs = (): string[] =>
    (JSON.parse(execFileSync('swaymsg', ['-t', 'get_outputs', '-r'], { env: { ...process.env, ...sway.env } }).toString()) as { name: string; active: boolean; rect: { x: number; y: number; width: number; height: number } }[])
      .filter((o) => o.active)
      .map((o) => `${o.name} ${o.rect.width}x${o.rect.height}+${o.rect.x}+${o.rect.y}`);

  it('a one-monitor config sets the output’s mode', async () => {
    const r = await startResolution({ ...sway.env, XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'sway' });
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(outputs()).toEqual(['HEADLESS-1 1024x768+0+0']);
    await r.module.stop();
  });

  it('a two-monitor config sets both outputs side by side', async () => {
    execFileSync('swaymsg', ['create_output'], { env: { ...process.env, ...sway.env } });
    const r = await startResolution({ ...sway.env, XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'sway' });
    r.module.handle(monitorsConfig([{ width: 1280, height: 720 }, { width: 800, height: 600, x: 1280 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(outputs()).toEqual(['HEADLESS-1 1280x720+0+0', 'HEADLESS-2 800x600+1280+0']);
    await r.module.stop();
  });

  it('what sway answers success to and does not do is an error, not a success: sway 1.7 keeps a headless output on that it was told to disable', async () => {
    const r = await startResolution({ ...sway.env, XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'sway' });
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Error]);
    await r.module.stop();
    expect(outputs()).toEqual(['HEADLESS-1 1024x768+0+0', 'HEADLESS-2 800x600+1280+0']);
    const backend = new WlrootsBackend(sway.env);
    await expect(backend.apply([{ name: 'HEADLESS-2', enabled: false }])).rejects.toMatchObject({ code: DisplayErrorCode.NotApplied });
  });
});

describe.runIf(canRunAsOtherUser)('resolution on GNOME (Mutter 43 headless, org.gnome.Mutter.DisplayConfig)', () => {
  let dir: string;
  let mutter: Compositor;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mutter-'));
    mutter = await startMutter(dir, ['1024x768', '800x600']);
  });
  afterAll(async () => {
    await mutter.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The logical monitors as Mutter's GetCurrentState reports them. */
  const logical = async (): Promise<string[]> => {
    const bus = dbus.sessionBus({ busAddress: mutter.env.DBUS_SESSION_BUS_ADDRESS });
    try {
      const name = 'org.gnome.Mutter.DisplayConfig';
      const reply = await bus.call(new dbus.Message({ destination: name, path: '/org/gnome/Mutter/DisplayConfig', interface: name, member: 'GetCurrentState' }));
      const monitors = reply?.body[2] as [number, number, number, number, boolean, [string][]][];
      return monitors.map(([x, y, , , primary, specs]) => `${specs.map((s) => s[0]).join('+')} +${x}+${y}${primary ? ' primary' : ''}`).sort();
    } finally {
      bus.disconnect();
    }
  };
  const env = (): Record<string, string> => ({ ...mutter.env, XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'GNOME' });

  it('a one-monitor config switches the second virtual monitor off', async () => {
    const r = await startResolution(env());
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(await logical()).toEqual(['Meta-0 +0+0 primary']);
    await r.module.stop();
  });

  it('a two-monitor config places both, the second one first when the client says so', async () => {
    const r = await startResolution(env());
    r.module.handle(monitorsConfig([{ width: 1024, height: 768, x: 800 }, { width: 800, height: 600, x: 0 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(await logical()).toEqual(['Meta-0 +800+0 primary', 'Meta-1 +0+0']);
    await r.module.stop();
  });

  it('answers ERROR for a size no mode has (Mutter cannot make modes)', async () => {
    const r = await startResolution(env());
    r.module.handle(monitorsConfig([{ width: 1366, height: 768 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Error]);
    expect(r.logs()).toContain('no 1366x768 mode on Meta-0');
    await r.module.stop();
  });
});

/** An output of `kscreen-doctor -j`, as far as the KDE test reads it. */
interface KscreenJsonOutput {
  name: string;
  enabled: boolean;
  currentModeId: string;
  pos: { x: number; y: number };
  modes: { id: string; size: { width: number; height: number } }[];
}

describe.runIf(canRunAsOtherUser)('resolution on KDE Plasma (KWin 5.27 virtual backend, two outputs, kscreen-doctor)', () => {
  let dir: string;
  let kwin: Compositor;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kwin-'));
    kwin = await startKwin(dir, 2, 1024, 768);
  });
  afterAll(async () => {
    await kwin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The enabled outputs as the real `kscreen-doctor -j` reports them (size of the current mode, logical position). */
  const outputs = async (): Promise<string[]> =>
    (JSON.parse(await kscreenDoctor(['-j'], kwin.env)) as { outputs: KscreenJsonOutput[] }).outputs
      .filter((o) => o.enabled)
      .map((o) => {
        const mode = o.modes.find((m) => m.id === o.currentModeId);
        return `${o.name} ${mode?.size.width}x${mode?.size.height}+${o.pos.x}+${o.pos.y}`;
      });
  const env = (): Record<string, string> => ({ ...kwin.env, XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'KDE' });

  it('a one-monitor config switches the second output off', async () => {
    const r = await startResolution(env());
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(await outputs()).toEqual(['Virtual-0 1024x768+0+0']);
    await r.module.stop();
  });

  it('a two-monitor config switches it on again, placed where the client says (left of the first)', async () => {
    const r = await startResolution(env());
    r.module.handle(monitorsConfig([{ width: 1024, height: 768, x: 1024 }, { width: 1024, height: 768, x: 0 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(await outputs()).toEqual(['Virtual-0 1024x768+1024+0', 'Virtual-1 1024x768+0+0']);
    await r.module.stop();
  });

  it('reaches KWin when only WAYLAND_DISPLAY says the session is Wayland (no XDG_SESSION_TYPE)', async () => {
    const r = await startResolution({ ...kwin.env, XDG_CURRENT_DESKTOP: 'KDE' });
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }, { width: 1024, height: 768, x: 1024 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(await outputs()).toEqual(['Virtual-0 1024x768+0+0', 'Virtual-1 1024x768+1024+0']);
    await r.module.stop();
  });

  it('answers ERROR for a size KWin’s virtual outputs do not list, and leaves the layout as it was (KScreen cannot make modes)', async () => {
    const before = await outputs();
    await expect(new KscreenBackend(env()).apply([{ name: 'Virtual-0', enabled: true, x: 0, y: 0, width: 1280, height: 720, primary: true }])).rejects.toMatchObject({ code: DisplayErrorCode.NoSuchMode });
    const r = await startResolution(env());
    r.module.handle(monitorsConfig([{ width: 1280, height: 720 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Error]);
    expect(await outputs()).toEqual(before);
    await r.module.stop();
  });

  it('places outputs at a scale in logical coordinates: the client’s pixel offsets divided by the scale', async () => {
    const scale = (factor: number): Promise<string> => kscreenDoctor([`output.Virtual-0.scale.${factor}`, `output.Virtual-1.scale.${factor}`], kwin.env);
    await scale(2);
    try {
      const r = await startResolution(env());
      r.module.handle(monitorsConfig([{ width: 1024, height: 768 }, { width: 1024, height: 768, x: 1024 }]));
      expect(await r.answered(1)).toEqual([ReplyError.Success]);
      expect(await outputs()).toEqual(['Virtual-0 1024x768+0+0', 'Virtual-1 1024x768+512+0']);
      expect((await new KscreenBackend(env()).outputs()).map((o) => `${o.name} ${o.width}x${o.height}+${o.x}+${o.y}`)).toEqual(['Virtual-0 1024x768+0+0', 'Virtual-1 1024x768+1024+0']);
      await r.module.stop();
    } finally {
      await scale(1);
    }
  });
});

// KWin's virtual outputs have exactly one mode each (the size KWin was started with), so choosing
// among several modes of an output cannot be shown with the real KWin: a stand-in kscreen-doctor,
// which keeps its outputs in a file and records its arguments, shows it.
describe('resolution on KDE Plasma: choosing among an output’s modes (a stand-in kscreen-doctor)', () => {
  let dir: string;
  let env: Record<string, string>;
  const mode = (id: string, width: number, height: number) => ({ id, name: `${width}x${height}@60`, refreshRate: 60, size: { width, height } });
  const output = (id: number, name: string, enabled: boolean) => ({
    id,
    name,
    enabled,
    connected: true,
    pos: { x: 0, y: 0 },
    scale: 1,
    currentModeId: '1',
    modes: [mode('1', 1024, 768), mode('2', 1280, 720), mode('3', 800, 600)],
  });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kscreen-'));
    env = {
      PATH: `${ROOT}test/fixtures/kscreen:${process.env.PATH ?? ''}`,
      KSCREEN_STATE: join(dir, 'state.json'),
      KSCREEN_CALLS: join(dir, 'calls'),
      XDG_CURRENT_DESKTOP: 'KDE',
      XDG_SESSION_TYPE: 'wayland',
    };
    // Virtual-1 on at 1024x768, Virtual-2 off.
    writeFileSync(env.KSCREEN_STATE as string, JSON.stringify({ outputs: [output(1, 'Virtual-1', true), { ...output(2, 'Virtual-2', false), pos: { x: 1024, y: 0 } }] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The enabled outputs in the stand-in's state, and the last argument vector it was given. */
  const state = (): string[] =>
    (JSON.parse(readFileSync(env.KSCREEN_STATE as string, 'utf8')) as { outputs: ReturnType<typeof output>[] }).outputs
      .filter((o) => o.enabled)
      .map((o) => `${o.name} ${o.modes.find((m) => m.id === o.currentModeId)?.name} +${o.pos.x}+${o.pos.y}`);
  /** The last argument vector that changed something (read-backs with `-j` left out). */
  const lastChange = (): string[] =>
    readFileSync(env.KSCREEN_CALLS as string, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[])
      .filter((call) => call[0] !== '-j')
      .at(-1) ?? [];

  it('a two-monitor config enables the second output with its mode and position in one call', async () => {
    const r = await startResolution(env);
    r.module.handle(monitorsConfig([{ width: 1280, height: 720 }, { width: 800, height: 600, x: 1280 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(lastChange()).toEqual([
      'output.Virtual-1.enable',
      'output.Virtual-1.mode.2',
      'output.Virtual-1.position.0,0',
      'output.Virtual-2.enable',
      'output.Virtual-2.mode.3',
      'output.Virtual-2.position.1280,0',
    ]);
    expect(state()).toEqual(['Virtual-1 1280x720@60 +0+0', 'Virtual-2 800x600@60 +1280+0']);
    await r.module.stop();
  });

  it('a kscreen-doctor that hangs on its way out once it applied (Qt 5.15’s Wayland client at times) is killed, and the layout it applied answered success', async () => {
    // A session whose logging rules switch debug messages off, as Fedora's do: ours come after.
    const r = await startResolution({ ...env, KSCREEN_HANG: '1', QT_LOGGING_RULES: '*.debug=false' });
    r.module.handle(monitorsConfig([{ width: 1024, height: 768 }, { width: 1280, height: 720, x: 1024 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Success]);
    expect(state()).toEqual(['Virtual-1 1024x768@60 +0+0', 'Virtual-2 1280x720@60 +1024+0']);
    expect(alive(Number(readFileSync(`${env.KSCREEN_CALLS}.pid`, 'utf8')))).toBe(false);
    await r.module.stop();
  });

  it('a kscreen-doctor that exits 0 while the outputs stay as they were (KWin refused) is an error, not a success', async () => {
    writeFileSync(env.KSCREEN_STATE as string, JSON.stringify({ outputs: [output(1, 'Virtual-1', true), { ...output(2, 'Virtual-2', true), pos: { x: 1024, y: 0 } }] }));
    const refusing = { ...env, KSCREEN_IGNORE: '1' };
    await expect(new KscreenBackend(refusing).apply([{ name: 'Virtual-2', enabled: false }])).rejects.toMatchObject({ code: DisplayErrorCode.NotApplied });
    const r = await startResolution(refusing);
    r.module.handle(monitorsConfig([{ width: 800, height: 600 }]));
    expect(await r.answered(1)).toEqual([ReplyError.Error]);
    expect(state()).toEqual(['Virtual-1 1024x768@60 +0+0', 'Virtual-2 1024x768@60 +1024+0']);
    await r.module.stop();
  });

  it('an output switched off that is gone when read back (unplugged) counts as off', async () => {
    await expect(new KscreenBackend({ ...env, KSCREEN_UNPLUG: '1' }).apply([{ name: 'Virtual-2', enabled: false }])).resolves.toBeUndefined();
    expect(state()).toEqual(['Virtual-1 1024x768@60 +0+0']);
  });
});
