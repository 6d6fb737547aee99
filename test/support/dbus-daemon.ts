import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/** A private dbus-daemon started for a test. */
export interface BusDaemon {
  /** Its address, as DBUS_SYSTEM_BUS_ADDRESS or a session bus address takes it. */
  address: string;
  stop(): Promise<void>;
}

/**
 * A minimal dbus-daemon configuration for tests: EXTERNAL authentication, and a policy that lets
 * anyone own names and send anything.
 */
export function testBusConfig(type: 'system' | 'session', listen: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>${type}</type>
  <listen>${listen}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;
}

/**
 * Starts a real dbus-daemon listening on `socket` with a minimal configuration written next to it:
 * EXTERNAL authentication, and a policy that lets anyone own names and send anything (a test bus).
 */
export async function startBusDaemon(socket: string, type: 'system' | 'session' = 'system'): Promise<BusDaemon> {
  const config = `${socket}.conf`;
  writeFileSync(
    config,
    testBusConfig(type, `unix:path=${socket}`),
  );
  // Its stderr is kept for the error when it fails (as root it warns that it cannot raise its fd limit).
  const child: ChildProcess = spawn('dbus-daemon', [`--config-file=${config}`, '--print-address', '--nofork', '--nopidfile'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n');
      if (line.length > 1) resolve((line[0] as string).trim());
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}: ${errors}`)));
  });
  return {
    address,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
