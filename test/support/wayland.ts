import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { testBusConfig } from './dbus-daemon.js';
import dbus from 'dbus-next';
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The unprivileged user compositors run as (they refuse, or should not run, as root). */
export const COMPOSITOR_USER = 'vdagent-test';

/** A compositor started for a test. */
export interface Compositor {
  /** What a client needs to reach it: XDG_RUNTIME_DIR, WAYLAND_DISPLAY, SWAYSOCK or DBUS_SESSION_BUS_ADDRESS, PATH. */
  env: Record<string, string>;
  /** Everything it printed. */
  log(): string;
  stop(): Promise<void>;
}

/** Whether this process may create users and run processes as them. */
export const canRunAsOtherUser = process.getuid?.() === 0;

/** The test user's uid and gid, creating the user (no home, no login) on first use. */
export function compositorUser(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, COMPOSITOR_USER]).toString());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', COMPOSITOR_USER]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** A private XDG_RUNTIME_DIR for the test user under `dir`. */
function runtimeDir(dir: string, user: { uid: number; gid: number }): string {
  const run = join(dir, 'run');
  mkdirSync(run, { mode: 0o700 });
  chownSync(run, user.uid, user.gid);
  chownSync(dir, user.uid, user.gid);
  return run;
}

/** Waits until `ready` holds, polling; rejects with the compositor's output after `ms`. */
async function until(ready: () => boolean, ms: number, what: string, log: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`${what} did not come up within ${ms} ms:\n${log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns a compositor as the test user in its own process group, collecting its output. */
function launch(file: string, args: string[], env: Record<string, string>, user: { uid: number; gid: number }): { child: ChildProcess; log: () => string } {
  const child = spawn(file, args, { uid: user.uid, gid: user.gid, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, log: () => out };
}

/** Ends a compositor's process group (the group of the process started here) and waits for it. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

/**
 * sway 1.7 on the wlroots headless backend with the pixman renderer, as the test user, with one
 * output (HEADLESS-1); `swaymsg create_output` adds more. Clients use wlr-randr and swaymsg.
 */
export async function startSway(dir: string): Promise<Compositor> {
  const user = compositorUser();
  const run = runtimeDir(dir, user);
  const config = join(dir, 'sway.conf');
  writeFileSync(config, 'output * bg #000000 solid_color\n', { mode: 0o644 });
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_RUNTIME_DIR: run };
  const { child, log } = launch('sway', ['-c', config], { ...base, WLR_BACKENDS: 'headless', WLR_LIBINPUT_NO_DEVICES: '1', WLR_RENDERER: 'pixman' }, user);
  const socket = (): string | undefined => readdirSync(run).find((f) => f.startsWith('sway-ipc.'));
  await until(() => socket() !== undefined && readdirSync(run).some((f) => /^wayland-\d+$/.test(f)), 10_000, 'sway', log);
  const display = readdirSync(run).find((f) => /^wayland-\d+$/.test(f)) as string;
  return { env: { ...base, WAYLAND_DISPLAY: display, SWAYSOCK: join(run, socket() as string) }, log, stop: () => end(child) };
}

/**
 * Mutter 43 headless (`--headless --wayland --no-x11`) with virtual monitors of the given sizes,
 * as the test user, under `dbus-run-session` with a bus configuration that also lets this (root)
 * process connect; the bus address is written to a file the test reads.
 */
export async function startMutter(dir: string, monitors: string[]): Promise<Compositor> {
  const user = compositorUser();
  const run = runtimeDir(dir, user);
  const busConfig = join(dir, 'bus.conf');
  writeFileSync(
    busConfig,
    testBusConfig('session', `unix:dir=${run}`),
    { mode: 0o644 },
  );
  const addressFile = join(run, 'bus-address');
  const mutter = ['mutter', '--headless', '--wayland', '--no-x11', ...monitors.flatMap((m) => ['--virtual-monitor', m])].join(' ');
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_RUNTIME_DIR: run };
  const { child, log } = launch('dbus-run-session', [`--config-file=${busConfig}`, '--', 'sh', '-c', `echo "$DBUS_SESSION_BUS_ADDRESS" > ${addressFile}; exec ${mutter}`], base, user);
  await until(() => existsSync(addressFile), 15_000, 'dbus-run-session', log);
  const address = readFileSync(addressFile, 'utf8').trim();
  let owned = false;
  const poll = setInterval(() => void displayConfigOwned(address).then((yes) => (owned ||= yes)), 100);
  try {
    await until(() => owned, 15_000, 'mutter', log);
  } finally {
    clearInterval(poll);
  }
  return { env: { ...base, DBUS_SESSION_BUS_ADDRESS: address }, log, stop: () => end(child) };
}

/**
 * KWin 5.27 on its virtual backend (`kwin_wayland --virtual`) with `count` outputs (Virtual-0, …) of
 * one mode each, `width`x`height`, as the test user, without Xwayland or a session bus (neither is
 * needed for output management). It runs from a copy of the binary: Debian gives
 * /usr/bin/kwin_wayland the file capability cap_sys_resource, and where the bounding set lacks it (a
 * container) execve refuses the original with EPERM. Ready when `kscreen-doctor -j` lists the outputs.
 */
export async function startKwin(dir: string, count: number, width: number, height: number): Promise<Compositor> {
  const user = compositorUser();
  const run = runtimeDir(dir, user);
  const kwin = join(dir, 'kwin_wayland');
  copyFileSync('/usr/bin/kwin_wayland', kwin);
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_RUNTIME_DIR: run };
  const args = ['--virtual', '--output-count', String(count), '--width', String(width), '--height', String(height), '--socket', 'wayland-kwin', '--no-lockscreen', '--no-global-shortcuts', '--no-kactivities'];
  // QPainter compositing: no OpenGL (llvmpipe) work on the test machine's cores.
  const { child, log } = launch(kwin, args, { ...base, KWIN_COMPOSE: 'Q' }, user);
  const env = { ...base, WAYLAND_DISPLAY: 'wayland-kwin', QT_QPA_PLATFORM: 'wayland' };
  const listed = (): number => {
    try {
      return (JSON.parse(execFileSync('kscreen-doctor', ['-j'], { env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString()) as { outputs: unknown[] }).outputs.length;
    } catch {
      return 0;
    }
  };
  await until(() => existsSync(join(run, 'wayland-kwin')) && listed() === count, 15_000, 'kwin_wayland', log);
  return { env: { ...base, WAYLAND_DISPLAY: 'wayland-kwin' }, log, stop: () => end(child) };
}

/** Whether org.gnome.Mutter.DisplayConfig has an owner on the bus at `address`. */
async function displayConfigOwned(address: string): Promise<boolean> {
  const bus = dbus.sessionBus({ busAddress: address });
  bus.on('error', () => undefined);
  try {
    const reply = await bus.call(
      new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameHasOwner', signature: 's', body: ['org.gnome.Mutter.DisplayConfig'] }),
    );
    return reply?.body[0] === true;
  } catch {
    return false;
  } finally {
    bus.disconnect();
  }
}
