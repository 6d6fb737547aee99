import { spawn } from 'node:child_process';
import dbus from 'dbus-next';

/** dbus-monitor on a test bus: every message a match rule selects, as it printed each. */
export interface BusMonitor {
  /** The messages seen so far, each as dbus-monitor printed it (its header line and body lines). */
  messages(): string[];
  stop(): Promise<void>;
}

/**
 * Starts `dbus-monitor --monitor` on the bus at `address` for the messages `rule` selects and
 * resolves once it sees them: it then has seen a probe (GetNameOwner of the bus's own name, which
 * it keeps out of what it reports) this process sent after it started.
 */
export async function startBusMonitor(address: string, rule: string): Promise<BusMonitor> {
  const child = spawn('dbus-monitor', ['--address', address, '--monitor', rule, "type='method_call',member='GetNameOwner',arg0='org.freedesktop.DBus'"], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const all = (): string[] => out.split(/\n(?=\S)/).filter((m) => m.trim() !== '');
  const isProbe = (m: string): boolean => m.includes('member=GetNameOwner') && m.includes('string "org.freedesktop.DBus"');
  const bus = dbus.sessionBus({ busAddress: address });
  try {
    const deadline = Date.now() + 10_000;
    while (!all().some(isProbe)) {
      if (Date.now() > deadline) throw new Error('dbus-monitor saw nothing within 10 s');
      await bus.call(new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetNameOwner', signature: 's', body: ['org.freedesktop.DBus'] }));
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    child.kill();
    throw err;
  } finally {
    bus.disconnect();
  }
  return {
    messages: () => all().filter((m) => !isProbe(m) && !m.startsWith('signal')),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
