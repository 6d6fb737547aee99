import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A real sound server started for a test as a given user, with a null sink and a null source as its defaults. */
export interface SoundServer {
  /** Its PulseAudio-protocol socket: `runtimeDir/pulse/native`. */
  socket: string;
  /** Runs pactl as the user against this server and resolves with its output. */
  pactl(...args: string[]): Promise<string>;
  /** Everything it printed. */
  log(): string;
  /** Ends it (SIGTERM to its process group; it removes its socket) and waits for it. */
  stop(): Promise<void>;
}

/** The user a server runs as, and that user's runtime folder and home. */
export interface SoundUser {
  uid: number;
  gid: number;
  runtimeDir: string;
  home: string;
}

/** Starts a sound server as a user; resolves once it serves its default sink and source. */
export type SoundServerStarter = (user: SoundUser) => Promise<SoundServer>;

/** The environment of the server and of pactl: nothing of the test process's but PATH. */
function userEnv(user: SoundUser): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, XDG_RUNTIME_DIR: user.runtimeDir, LANG: 'C.UTF-8' };
}

/** Waits until `ready` holds, polling; rejects with `log()` after 15 s or when `child` exits. */
async function until(ready: () => boolean | Promise<boolean>, child: ChildProcess, what: string, log: () => string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`${what} did not come up:\n${log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns `file args` as the user in a process group of its own, collecting its output; resolves once its socket exists. */
async function launch(user: SoundUser, file: string, args: string[], what: string): Promise<{ server: SoundServer; child: ChildProcess }> {
  const socket = join(user.runtimeDir, 'pulse', 'native');
  const child = spawn(file, args, { uid: user.uid, gid: user.gid, cwd: user.home, env: userEnv(user), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
  };
  try {
    await until(() => existsSync(socket), child, what, () => out);
  } catch (err) {
    if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    throw err;
  }
  const pactl = (...pactlArgs: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('pactl', pactlArgs, { uid: user.uid, gid: user.gid, env: { ...userEnv(user), PULSE_SERVER: `unix:${socket}` } }, (err, stdout, stderr) => (err ? reject(new Error(`pactl ${pactlArgs.join(' ')}: ${stderr}`)) : resolve(stdout)));
    });
  return { server: { socket, pactl, log: () => out, stop }, child };
}

/** `pulseaudio` in the foreground, with only a null sink, a null source and the native protocol's socket. */
export const startPulseAudio: SoundServerStarter = async (user) => {
  const args = ['--daemonize=no', '--exit-idle-time=-1', '-n', '--load=module-null-sink', '--load=module-null-source', '--load=module-native-protocol-unix'];
  return (await launch(user, 'pulseaudio', args, 'pulseaudio')).server;
};

/**
 * PipeWire 0.3 with WirePlumber (which picks the default devices) and pipewire-pulse (the
 * PulseAudio-protocol socket), under a private session bus (WirePlumber needs one); a null sink
 * and a virtual null source are loaded through pactl, and waited for as the defaults.
 */
export const startPipeWire: SoundServerStarter = async (user) => {
  const script = 'pipewire & while [ ! -S "$XDG_RUNTIME_DIR/pipewire-0" ]; do sleep 0.05; done; wireplumber & exec pipewire-pulse';
  const { server, child } = await launch(user, 'dbus-run-session', ['--', 'sh', '-c', script], 'pipewire-pulse');
  try {
    await server.pactl('load-module', 'module-null-sink', 'sink_name=vdagent-sink');
    await server.pactl('load-module', 'module-null-sink', 'sink_name=vdagent-source', 'media.class=Audio/Source/Virtual');
    const defaults = async (): Promise<boolean> => (await server.pactl('get-default-sink')).trim() === 'vdagent-sink' && (await server.pactl('get-default-source')).trim() === 'vdagent-source';
    await until(defaults, child, 'WirePlumber\'s default devices', () => server.log());
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
};
