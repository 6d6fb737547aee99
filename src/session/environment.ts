import { readFile } from 'node:fs/promises';
import dbus from 'dbus-next';
import type { Logger } from '../log/logger.js';
import { connected, getProperty } from './dbus.js';
import type { LoginSession } from './logind.js';

/** The variables a session helper needs to reach the desktop. */
const SESSION_VARIABLES = ['DISPLAY', 'WAYLAND_DISPLAY', 'XAUTHORITY', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS'] as const;

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

/** What logind itself says: the X11 display and the user's runtime directory. */
function fromLogind(s: Pick<LoginSession, 'display' | 'runtimePath'>): Layer {
  return { DISPLAY: s.display || undefined, XDG_RUNTIME_DIR: s.runtimePath || undefined };
}

/** The user's systemd manager environment (`Environment` on its bus in the runtime directory). */
async function fromUserManager(runtimePath: string): Promise<Layer> {
  if (!runtimePath) return {};
  const bus = dbus.sessionBus({ busAddress: `unix:path=${runtimePath}/bus` });
  bus.on('error', () => undefined); // surfaces as a failed connection or a call that times out
  try {
    await connected(bus);
    const env = await getProperty(bus, 'org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'Environment');
    return parseAssignments(Array.isArray(env) ? env.filter((e): e is string => typeof e === 'string') : []);
  } finally {
    bus.disconnect();
  }
}

/** The session leader's environment. */
async function fromLeader(pid: number): Promise<Layer> {
  if (pid <= 0) return {};
  return parseAssignments((await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0'));
}

/**
 * The session's DISPLAY, WAYLAND_DISPLAY, XAUTHORITY, XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS:
 * each from logind if it knows it, else from the user's systemd manager, else from the session
 * leader's environment. A source that cannot be read is skipped with a debug line.
 */
export async function sessionEnvironment(s: Pick<LoginSession, 'display' | 'runtimePath' | 'leader'>, log: Logger): Promise<Record<string, string>> {
  const skip = (what: string) => (err: unknown): Layer => {
    log.debug(`session environment: ${what}: ${err instanceof Error ? err.message : String(err)}`);
    return {};
  };
  const layers = [
    fromLogind(s),
    await fromUserManager(s.runtimePath).catch(skip('user manager')),
    await fromLeader(s.leader).catch(skip(`leader ${s.leader}`)),
  ];
  const env: Record<string, string> = {};
  for (const name of SESSION_VARIABLES) {
    const value = layers.find((l) => l[name])?.[name];
    if (value) env[name] = value;
  }
  return env;
}
