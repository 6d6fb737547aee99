import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { agentJournal, journalMatch } from './agent-journal.js';
import { buildDataDisk } from './data-disk.js';
import type { GuestImage } from './guest-image.js';
import { LineChannel } from './line-channel.js';
import { freePort } from './migration.js';
import type { Phases } from './phases.js';
import { ProbeQuestions } from './probe-questions.js';
import { bootGuest, type BootOptions, type RunningGuest } from './qemu.js';
import { SocketPort } from './socket-port.js';

/**
 * The daemon as packaged, logging every message it decodes and sends (--debug): the journal is
 * where the statuses the client library folds into one error code (SESSION_LOCKED) are read. A
 * drop-in the probe puts in place before installing.
 */
const DEBUG_DROP_IN = `[Service]
ExecStart=
ExecStart=/usr/bin/vdagent daemon --port auto --qga-port auto --debug
`;

/** A desktop guest running under QEMU's SPICE server with the package installed. */
export interface SpiceDesktop {
  guest: RunningGuest;
  /** The probe's socket (closed by the caller with the guest). */
  port: SocketPort;
  probe: ProbeQuestions;
  /** The port of QEMU's SPICE server on 127.0.0.1. */
  spicePort: number;
}

/** What a desktop test boots: its image and package, its actions.d entries, QEMU's display devices. */
export interface SpiceDesktopOptions {
  image: GuestImage;
  deb: string;
  runDir: string;
  actions: Record<string, string>;
  display: Pick<BootOptions, 'vga' | 'displays' | 'trace'>;
  phases: Phases;
  bootMs: number;
  stepMs: number;
}

/**
 * Boots a desktop image with the package, `actions` and the --debug drop-in on its data disk under
 * QEMU's SPICE server (no seamless migration), and waits for the probe and for `dpkg -i` to succeed;
 * on a failure on the way the guest is stopped.
 */
export async function bootSpiceDesktop(o: SpiceDesktopOptions): Promise<SpiceDesktop> {
  const dataDisk = join(o.runDir, 'data.img');
  const dropIn = join(o.runDir, 'vdagent.service.conf');
  writeFileSync(dropIn, DEBUG_DROP_IN);
  await o.phases.run('data disk with the package', () => buildDataDisk({ deb: o.deb, actions: o.actions, enable: [], files: { 'vdagent.service.conf': dropIn } }, o.runDir, dataDisk));
  const spicePort = await freePort();
  const guest = await bootGuest(o.image, dataDisk, o.runDir, ['probe'], { spice: { port: spicePort, seamlessMigration: false }, ...o.display });
  process.stdout.write(`e2e guest: booting with ${guest.accel}; console in ${join(o.runDir, 'console.log')}\n`);
  const port = new SocketPort(guest.sockets.probe, 'probe socket');
  try {
    await port.open();
    const lines = new LineChannel(port, () => guest.consoleTail());
    const probe = new ProbeQuestions(port, lines);
    await o.phases.run(`boot (${guest.accel})`, () => lines.next(/^probe /, o.bootMs));
    const install = await o.phases.run('dpkg -i in the guest', () => lines.next(/^install (-?\d+)$/, o.stepMs));
    if (install[1] !== '0') throw new Error(`dpkg -i failed:\n${lines.lines.filter((l) => l.startsWith('dpkg: ')).join('\n')}`);
    return { guest, port, probe, spicePort };
  } catch (err) {
    await port.close();
    await guest.stop();
    throw err;
  }
}

/**
 * Waits until the agent started the session helper for `user`'s logind session of seat0 (a `type`
 * session) and checks it: the journal names the session, the helper runs as the user, and it serves
 * clipboard, file-xfer and resolution. Answers the session's id.
 */
export async function helperStartedFor(desktop: { probe: ProbeQuestions; phases: Phases; stepMs: number }, user: { name: string; uid: number }, type: 'x11' | 'wayland'): Promise<string> {
  const { probe, phases, stepMs } = desktop;
  const [, session, pid] = await phases.run(`logind session, helper started as uid ${user.uid}`, () =>
    journalMatch(probe, new RegExp(`session ([^/\\s]+)/\\d+: helper (\\d+) started as ${user.uid}:${user.uid}`), stepMs),
  );
  expect(await agentJournal(probe)).toContain(`seat0: session ${String(session)} of ${user.name} (${type}, user)`);
  const status = await probe.text(`/proc/${String(pid)}/status`);
  expect(/^Uid:\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1)).toEqual([String(user.uid), String(user.uid)]);
  // In a scope of the user's slice, not the service's cgroup: what the user makes it start counts
  // against the user's limits and ends with the user's processes.
  expect(await probe.text(`/proc/${String(pid)}/cgroup`)).toMatch(new RegExp(`^0::/user\\.slice/user-${user.uid}\\.slice/run-[^/]+\\.scope$`, 'm'));
  const [, served] = await phases.run('the helper serves the session modules', () => journalMatch(probe, /helper serves (.*clipboard.*)/, stepMs));
  expect(String(served).split(', ')).toEqual(expect.arrayContaining(['clipboard', 'file-xfer', 'resolution']));
  return String(session);
}
