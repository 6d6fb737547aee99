import dbus, { type MessageBus } from 'dbus-next';
import { inspect } from 'node:util';

/** How long a D-Bus call may take before it counts as failed. */
const CALL_TIMEOUT_MS = 5000;

/** Property values of one interface, by name, as D-Bus variants unpacked. */
export type Properties = ReadonlyMap<string, unknown>;

/**
 * Resolves once the bus accepted us (Hello answered). Rejects on a connection error, or when the
 * bus does not answer in time; the connection is then closed, and errors it still raises are
 * ignored (nobody uses it any more).
 */
export function connected(bus: MessageBus): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: unknown): void => {
      clearTimeout(timer);
      bus.off('connect', ok);
      bus.off('error', fail);
      if (err === undefined) return resolve();
      bus.on('error', () => undefined);
      bus.disconnect();
      reject(err instanceof Error ? err : new Error(typeof err === 'string' ? err : inspect(err)));
    };
    const ok = (): void => settle();
    const fail = (err: unknown): void => settle(err ?? new Error('connection failed'));
    const timer = setTimeout(() => fail(new Error(`the bus did not accept us within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    bus.once('connect', ok);
    bus.once('error', fail);
  });
}

/** A method call; rejects with the D-Bus error, or after a timeout. */
export async function call(bus: MessageBus, destination: string, path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
  const request = new dbus.Message({ destination, path, interface: iface, member, signature, body });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${destination} ${member}: no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    // A call left unanswered by a bus we disconnected from must not keep the process alive.
    timer.unref();
  });
  try {
    const reply = await Promise.race([bus.call(request), timeout]);
    const values: unknown[] = reply?.body ?? [];
    return values;
  } finally {
    clearTimeout(timer);
  }
}

/** Unpacks a variant (or passes a plain value through). */
function unpack(v: unknown): unknown {
  return v instanceof dbus.Variant ? v.value : v;
}

/** One property of an object. */
export async function getProperty(bus: MessageBus, destination: string, path: string, iface: string, name: string): Promise<unknown> {
  const [value] = await call(bus, destination, path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [iface, name]);
  return unpack(value);
}

/** All properties of one interface of an object. */
export async function getAllProperties(bus: MessageBus, destination: string, path: string, iface: string): Promise<Properties> {
  const [all] = await call(bus, destination, path, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [iface]);
  const out = new Map<string, unknown>();
  if (typeof all === 'object' && all !== null) for (const [k, v] of Object.entries(all)) out.set(k, unpack(v));
  return out;
}

/** Asks the bus to route us the signals a match rule describes. */
export async function addMatch(bus: MessageBus, rule: string): Promise<void> {
  await call(bus, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [rule]);
}

/** A string property ('' when absent or of another type). */
export function text(props: Properties, name: string): string {
  const v = props.get(name);
  return typeof v === 'string' ? v : '';
}

/** A numeric property (-1 when absent or of another type). */
export function num(props: Properties, name: string): number {
  const v = props.get(name);
  return typeof v === 'number' ? v : -1;
}

/** A boolean property (false when absent). */
export function flag(props: Properties, name: string): boolean {
  return props.get(name) === true;
}
