import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPtyPair } from '../../src/transport/pty.js';
import { CLI } from '../support/harness.js';

// libvirt's guests have a guest-agent port and no SPICE port: the daemon then waits for the SPICE
// port, and the guest agent starts a moment later. A SIGTERM in between (systemctl restart just
// after a start, as vdagent profile --apply is followed) must still end it.
describe('a daemon told to stop while its ports are still starting', () => {
  const actions = mkdtempSync(join(os.tmpdir(), 'stop-at-start-'));
  chmodSync(actions, 0o755);
  afterAll(() => rmSync(actions, { recursive: true, force: true }));

  it('ends on a SIGTERM that comes before the guest agent has opened its port, with status 0', async () => {
    const qga = openPtyPair();
    const child = spawn(process.execPath, [CLI, 'daemon', '--port', 'auto', '--qga-port', qga.slavePath, '--session', 'none', '--actions-dir', actions], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const read = (d: Buffer): void => {
      log += d.toString();
      // Once it waits for the SPICE port: the guest agent is then on its way to opening its port.
      if (log.includes('no virtio-serial port named') && child.exitCode === null && !child.killed) child.kill('SIGTERM');
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    const exited = once(child, 'exit');
    const ended = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000))]);
    if (!ended) child.kill('SIGKILL');
    qga.close();
    expect(ended, log).toBe(true);
    expect(child.exitCode).toBe(0);
  }, 30_000);
});
