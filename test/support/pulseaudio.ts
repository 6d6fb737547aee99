import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A real PulseAudio started for a test as a given user, with a null sink and a null source. */
export interface PulseServer {
  /** Its socket: `runtimeDir/pulse/native`. */
  socket: string;
  /** Runs pactl as the user against this server and resolves with its output. */
  pactl(...args: string[]): Promise<string>;
  /** Everything it printed. */
  log(): string;
  /** Ends it (SIGTERM; it removes its socket) and waits for it. */
  stop(): Promise<void>;
}

/** The user a server runs as, and that user's runtime folder and home. */
export interface PulseUser {
  uid: number;
  gid: number;
  runtimeDir: string;
  home: string;
}

/** The environment of the server and of pactl: nothing of the test process's but PATH. */
function userEnv(user: PulseUser): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, XDG_RUNTIME_DIR: user.runtimeDir, LANG: 'C.UTF-8' };
}

/**
 * Starts `pulseaudio` in the foreground as `user` (never root), with only a null sink, a null
 * source and the native protocol's socket in `runtimeDir/pulse/`; resolves once the socket exists.
 */
export async function startPulseAudio(user: PulseUser): Promise<PulseServer> {
  const socket = join(user.runtimeDir, 'pulse', 'native');
  const args = ['--daemonize=no', '--exit-idle-time=-1', '-n', '--load=module-null-sink', '--load=module-null-source', '--load=module-native-protocol-unix'];
  const child: ChildProcess = spawn('pulseaudio', args, { uid: user.uid, gid: user.gid, cwd: user.home, env: userEnv(user), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = Date.now() + 15_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`pulseaudio did not come up:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    pactl: (...pactlArgs) =>
      new Promise((resolve, reject) => {
        execFile('pactl', pactlArgs, { uid: user.uid, gid: user.gid, env: { ...userEnv(user), PULSE_SERVER: `unix:${socket}` } }, (err, stdout, stderr) => (err ? reject(new Error(`pactl ${pactlArgs.join(' ')}: ${stderr}`)) : resolve(stdout)));
      }),
    log: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
