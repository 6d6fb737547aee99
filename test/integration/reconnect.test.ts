import { chmodSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/protocol/index.js';
import { ClientSimulator } from '../../src/sim/simulator.js';
import { CharDevicePort } from '../../src/transport/chardev-port.js';
import { openPtyPair, type PtyPair } from '../../src/transport/pty.js';
import { startPtyHarness, type Harness } from '../support/harness.js';
import { ReplugPort } from '../support/replug-port.js';

/** A host side on a new pty: the simulator on its master. */
async function hostSide(): Promise<{ pty: PtyPair; master: CharDevicePort; sim: ClientSimulator }> {
  const pty = openPtyPair();
  const master = CharDevicePort.fromFd(pty.masterFd, 'pty master');
  await master.open();
  return { pty, master, sim: new ClientSimulator(master) };
}

describe('the daemon hears a host that comes back, and announces', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  let agent: Harness | undefined;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && agent) process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    for (const c of cleanup.splice(0).reverse()) await c();
    agent = undefined;
  });

  const folder = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'reconnect-'));
    chmodSync(dir, 0o755);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('a port re-plugged many times is reopened each time and announced on, and answers the new client', async () => {
    const port = await ReplugPort.create(folder());
    cleanup.push(() => port.close());
    agent = await startPtyHarness({ extraArgs: ['--port', port.path] });
    cleanup.push(() => agent?.stop());
    await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    for (let i = 0; i < 5; i++) {
      port.sim.connect();
      await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
      await port.replug();
      await port.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    }
  });

  it('a port whose node is gone for a while is reopened when the node is back, and announced on', async () => {
    const dir = folder();
    const path = join(dir, 'port');
    const first = await hostSide();
    symlinkSync(first.pty.slavePath, path);
    agent = await startPtyHarness({ extraArgs: ['--port', path] });
    cleanup.push(() => agent?.stop());
    await first.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
    first.sim.connect();
    await first.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });

    // Unplugged: the node goes, the device hangs up; the agent finds nothing to open for a while.
    unlinkSync(path);
    await first.master.close();
    first.pty.close();
    await new Promise((r) => setTimeout(r, 1500));

    const second = await hostSide();
    cleanup.push(async () => {
      await second.master.close();
      second.pty.close();
    });
    symlinkSync(second.pty.slavePath, path);
    await second.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 10_000 });
    second.sim.connect();
    const answer = await second.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => !m.request, timeoutMs: 5000 });
    expect(answer.request).toBe(false);
  });
});
