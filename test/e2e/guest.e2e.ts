import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../../src/actions/registry.js';
import { Capability, MessageType } from '../../src/protocol/index.js';
import { ClientSimulator } from '../../src/sim/simulator.js';
import { ROOT } from '../support/harness.js';
import { readUnitFile, setting, unitBytes } from '../support/systemd-unit.js';
import { packagePath } from './support/package.js';
import { cacheRoot, freshRunDir } from './support/cache.js';
import { buildDataDisk } from './support/data-disk.js';
import { guestImage } from './support/guest-image.js';
import { LineChannel } from './support/line-channel.js';
import { Phases } from './support/phases.js';
import { QgaClient } from './support/qga-client.js';
import { bootGuest, type RunningGuest } from './support/qemu.js';
import { SocketPort } from './support/socket-port.js';

/** The mouse module exists in this version (it drives a uinput tablet in the guest). */
const MOUSE = BUILTIN_MODULES.some((d) => d.name === 'mouse');
/** The QEMU guest-agent port is served in this version (its vendor entry `info` ships). */
const QGA = existsSync(join(ROOT, 'actions.d', 'info'));
/** The shutdown admin action ships, to be linked into /etc/vdagent/actions.d. */
const SHUTDOWN = QGA && existsSync(join(ROOT, 'actions.available', 'shutdown'));
/** VD_AGENT_LBUTTON_MASK: the left button in MOUSE_STATE's button mask. */
const LEFT_BUTTON = 0x02;
/** Generous limits: under TCG on two cores the guest boots in minutes, not seconds. */
const BOOT_MS = 600_000;
const STEP_MS = 120_000;

/** What the guest's administrator writes into /etc/vdagent/actions.d before installing. */
const GUEST_ACTIONS: Record<string, string> = QGA ? { exec: '/usr/bin/echo\n' } : {};
/** The admin actions the administrator links in from actions.available after installing. */
const GUEST_ENABLE = SHUTDOWN ? ['shutdown'] : [];

const phases = new Phases();
const ports: SocketPort[] = [];
let guest: RunningGuest;
let probe: LineChannel;
let agentPid: number;
let agentReportsBeforePlug: string[];
let qga: QgaClient;

/**
 * Connects a fresh simulated client to the SPICE port's socket and announces it, closing the
 * previous client's connection first (QEMU serves one connection at a time).
 */
async function connectClient(): Promise<ClientSimulator> {
  await ports.find((p) => p.name === 'spice socket' && p.isOpen)?.close();
  const port = new SocketPort(guest.sockets.spice, 'spice socket');
  await port.open();
  ports.push(port);
  const sim = new ClientSimulator(port);
  sim.connect();
  return sim;
}

describe('the packaged agent in a Debian guest on a real kernel', () => {
  beforeAll(async () => {
    const deb = await packagePath();
    const cache = cacheRoot();
    const runDir = freshRunDir(cache, 'last-run');
    const image = await guestImage(cache, phases);
    process.stdout.write(`e2e guest: ${Object.values(image.versions).join(', ')}\n`);
    const dataDisk = join(runDir, 'data.img');
    await phases.run('data disk with the package', () => buildDataDisk({ deb, actions: GUEST_ACTIONS, enable: GUEST_ENABLE }, runDir, dataDisk));
    // Only the probe's port at boot: the agent's ports are hot-plugged once the package is in.
    guest = await bootGuest(image, dataDisk, runDir, ['probe']);
    process.stdout.write(`e2e guest: booting with ${guest.accel}; console in ${join(runDir, 'console.log')}\n`);
    const probePort = new SocketPort(guest.sockets.probe, 'probe socket');
    await probePort.open();
    ports.push(probePort);
    probe = new LineChannel(probePort, () => guest.consoleTail());
    await phases.run(`boot (${guest.accel})`, () => probe.next(/^probe /, BOOT_MS));
    const install = await phases.run('dpkg -i in the guest', () => probe.next(/^install (-?\d+)$/, STEP_MS));
    if (install[1] !== '0') throw new Error(`dpkg -i failed:\n${probe.lines.filter((l) => l.startsWith('dpkg: ')).join('\n')}`);
    await probe.next(/^agent /, STEP_MS);
    // postinst has finished; give a start it should not have caused time to show.
    await new Promise((r) => setTimeout(r, 5000));
    agentReportsBeforePlug = probe.lines.filter((l) => l.startsWith('agent '));
    const agent = await phases.run('hot-plug the ports: systemd starts the agent', async () => {
      await guest.plug('spice');
      await guest.plug('qga');
      return probe.next(/^agent (\d+)$/, STEP_MS);
    });
    agentPid = Number(agent[1]);
  });

  afterAll(async () => {
    for (const port of ports) await port.close();
    await guest?.stop();
    process.stdout.write(phases.summary());
  });

  it('installs enabled, and does not run while the guest has neither port', () => {
    expect(probe.lines).toContain('enabled enabled');
    expect(agentReportsBeforePlug).toEqual(['agent none']);
  });

  it('runs under the unit’s limits, with a restart policy that never gives up', () => {
    const unit = readUnitFile(join(ROOT, 'systemd', 'vdagent.service'));
    const service = (key: string): string => setting(unit, 'Service', key) ?? '';
    expect(probe.lines).toEqual(
      expect.arrayContaining([
        `unit MemoryMax=${unitBytes(service('MemoryMax'))}`,
        `unit OOMPolicy=${service('OOMPolicy')}`,
        `unit TasksMax=${service('TasksMax')}`,
        `unit LimitNOFILE=${service('LimitNOFILE')}`,
        `unit Restart=${service('Restart')}`,
        'unit StartLimitIntervalUSec=0',
        `unit RestartSteps=${service('RestartSteps')}`,
      ]),
    );
  });

  it('starts when its port is hot-plugged: udev tags it, the enabled unit is wanted by the device', () => {
    expect(agentPid).toBeGreaterThan(1);
  });

  it('completes the handshake on the real virtio-serial port', async () => {
    await phases.run('handshake', async () => {
      const sim = await connectClient();
      const announce = await sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: STEP_MS });
      // graphics-device-info is on in the vendor actions.d the package installs.
      expect(announce.caps.has(Capability.GraphicsDeviceInfo)).toBe(true);
    });
  });

  it('re-announces after the host socket is closed and reopened three times, without a restart', async () => {
    await phases.run('three socket reopens', async () => {
      for (let i = 0; i < 3; i++) {
        const sim = await connectClient();
        await sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: STEP_MS });
      }
    });
    expect(probe.lines.filter((l) => l.startsWith('agent '))).toEqual(['agent none', `agent ${agentPid}`]);
  });

  it.runIf(MOUSE)('turns MOUSE_STATE into events of a real uinput tablet', async () => {
    await phases.run('mouse through uinput', async () => {
      const sim = await connectClient();
      await sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: STEP_MS });
      // The tablet is re-created when the layout changes: follow the device the events come from.
      const since = probe.lines.length;
      await sim.mouse(100, 50, LEFT_BUTTON);
      const ev = (await probe.find(/^event (event\d+) 3 0 100$/, since, STEP_MS))[1] ?? ''; // EV_ABS ABS_X
      await probe.find(new RegExp(`^event ${ev} 3 1 50$`), since, STEP_MS); // EV_ABS ABS_Y
      await probe.find(new RegExp(`^event ${ev} 1 272 1$`), since, STEP_MS); // EV_KEY BTN_LEFT down
      await sim.mouse(100, 50, 0);
      await probe.find(new RegExp(`^event ${ev} 1 272 0$`), since, STEP_MS); // BTN_LEFT up
    });
  });

  it.runIf(QGA)('answers QGA ping, info and an allowed exec on the other port', async () => {
    await phases.run('QEMU guest agent', async () => {
      const port = new SocketPort(guest.sockets.qga, 'qga socket');
      await port.open();
      ports.push(port);
      qga = new QgaClient(port);
      await qga.sync(STEP_MS);
      expect(await qga.execute('guest-ping')).toEqual({});
      const info = (await qga.execute('guest-info')) as { version: string; supported_commands: { name: string; enabled: boolean }[] };
      expect(info.supported_commands).toContainEqual(expect.objectContaining({ name: 'guest-exec', enabled: true }));
      const { pid } = (await qga.execute('guest-exec', { path: '/usr/bin/echo', arg: ['hello', 'from', 'the', 'guest'], 'capture-output': true })) as { pid: number };
      let status: { exited: boolean; exitcode?: number; 'out-data'?: string };
      do status = (await qga.execute('guest-exec-status', { pid })) as typeof status;
      while (!status.exited);
      expect(status.exitcode).toBe(0);
      expect(Buffer.from(status['out-data'] ?? '', 'base64').toString()).toBe('hello from the guest\n');
    });
  });

  it.runIf(SHUTDOWN)('reboots on guest-shutdown from inside the sandbox, and starts again at boot by its port', async () => {
    await phases.run('reboot by guest-shutdown', async () => {
      await qga.send('guest-shutdown', { mode: 'reboot' });
      await probe.next(/^probe /, BOOT_MS);
      await probe.next(/^install kept$/, STEP_MS);
    });
    await phases.run('agent started at boot', () => probe.next(/^agent (\d+)$/, STEP_MS));
    await phases.run('handshake after the reboot', async () => {
      const sim = await connectClient();
      await sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: STEP_MS });
    });
  });
});
