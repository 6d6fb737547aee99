import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log/logger.js';
import type { LoginSession } from './logind.js';

/** The variables a session helper needs to reach the desktop (SWAYSOCK: sway's IPC socket, which the resolution module configures sway through). */
const SESSION_VARIABLES = ['DISPLAY', 'WAYLAND_DISPLAY', 'SWAYSOCK', 'XAUTHORITY', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS'] as const;

/** How long the user's systemd manager may take to answer; busctl is killed then. */
const MANAGER_TIMEOUT_MS = 5000;
/** The most busctl may print for the manager's Environment; more is refused. */
const MANAGER_MAX_BYTES = 1 << 20;

/** Variables by name, as one source knows them. */
type Layer = Partial<Record<string, string>>;

/** Parses `NAME=value` strings (systemd's Environment, /proc/PID/environ). */
function parseAssignments(items: readonly string[]): Layer {
  const out: Layer = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Reads busctl's `--json=short` answer for a property of type `as`. */
function parseStringArray(json: string): string[] {
  const value: unknown = JSON.parse(json);
  const data = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).data : undefined;
  if (!Array.isArray(data) || !data.every((e): e is string => typeof e === 'string')) throw new Error('the manager answered no list of strings');
  return data;
}

/**
 * The user's systemd manager environment (`Environment` on the bus in the runtime directory). The
 * bus is the user's to replace, so it is asked by busctl, a child process with its own bounds: a
 * peer that declares a huge message, sends garbage or never answers makes busctl fail or be killed,
 * and this process only reads at most {@link MANAGER_MAX_BYTES} of JSON. Killed when `signal` aborts:
 * busctl does not give up by itself on a peer that declared a message and sends no more of it.
 */
function fromUserManager(runtimeDir: string | undefined, signal?: AbortSignal): Promise<Layer> {
  if (!runtimeDir) return Promise.resolve({});
  const args = [`--address=unix:path=${runtimeDir}/bus`, '--json=short', `--timeout=${MANAGER_TIMEOUT_MS / 1000}`];
  args.push('get-property', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'Environment');
  return new Promise((resolve, reject) => {
    execFile('busctl', args, { timeout: MANAGER_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: MANAGER_MAX_BYTES, signal }, (err, stdout, stderr) => {
      if (err) reject(new Error(err.killed ? `no answer within ${MANAGER_TIMEOUT_MS} ms` : stderr.trim() || err.message));
      else resolve(parseAssignments(parseStringArray(stdout)));
    });
  });
}

/** The session leader's environment (readable when the leader is the user's own process). */
async function fromLeader(pid: number): Promise<Layer> {
  if (pid <= 0) return {};
  return parseAssignments((await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0'));
}

/** What logind itself says of a session's environment: the X11 display and the user's runtime directory. */
export function logindEnvironment(s: Pick<LoginSession, 'display' | 'runtimePath'>): Record<string, string> {
  const env: Record<string, string> = {};
  if (s.display) env.DISPLAY = s.display;
  if (s.runtimePath) env.XDG_RUNTIME_DIR = s.runtimePath;
  return env;
}

/**
 * Completes the session's DISPLAY, WAYLAND_DISPLAY, SWAYSOCK, XAUTHORITY, XDG_RUNTIME_DIR and
 * DBUS_SESSION_BUS_ADDRESS: each as `known` has it (what logind says), else from the user's systemd
 * manager, else from the session leader's environment. The helper calls it as the session's user,
 * after dropping privileges: both sources belong to that user. A source that cannot be read is
 * skipped with a debug line; only the sources needed are asked; `signal` cuts the asking short.
 * Logs where each variable came from.
 */
export async function completeEnvironment(known: NodeJS.ProcessEnv, leader: number, log: Logger, signal?: AbortSignal): Promise<Record<string, string>> {
  const skip = (what: string) => (err: unknown): Layer => {
    log.debug(`session environment: ${what}: ${err instanceof Error ? err.message : String(err)}`);
    return {};
  };
  const missing = SESSION_VARIABLES.some((name) => !known[name]);
  const [manager, leaderEnv] = missing ? await Promise.all([fromUserManager(known.XDG_RUNTIME_DIR, signal).catch(skip('user manager')), fromLeader(leader).catch(skip(`leader ${leader}`))]) : [{}, {}];
  const layers: [source: string, layer: Layer][] = [
    ['logind', known],
    ['the user manager', manager],
    [`leader ${leader}`, leaderEnv],
  ];
  const env: Record<string, string> = {};
  const from = layers.map(([source]) => ({ source, names: [] as string[] }));
  for (const name of SESSION_VARIABLES) {
    const i = layers.findIndex(([, l]) => l[name]);
    if (i < 0) continue;
    env[name] = layers[i]?.[1][name] as string;
    from[i]?.names.push(name);
  }
  const sources = from.filter((f) => f.names.length > 0).map((f) => `${f.names.join(', ')} from ${f.source}`);
  log.info(`session environment: ${sources.join('; ') || 'none'}`);
  return env;
}
