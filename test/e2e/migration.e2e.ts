import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability } from '../../src/protocol/index.js';
import { cacheRoot } from './support/cache.js';
import { buildDataDisk } from './support/data-disk.js';
import { eventually } from './support/eventually.js';
import { guestImage, type GuestImage } from './support/guest-image.js';
import { LineChannel } from './support/line-channel.js';
import { freePort, migrate, type MigrationTimes } from './support/migration.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { ProbeQuestions } from './support/probe-questions.js';
import { bootGuest, type BootOptions, type RunningGuest } from './support/qemu.js';
import { SocketPort } from './support/socket-port.js';
import { SpiceClient, type ClientEvent } from './support/spice-client.js';

/** Generous limits: under TCG on two cores, with other work beside it, everything is slow. */
const BOOT_MS = 600_000;
const STEP_MS = 120_000;
/** A whole run: boot, install, migration and checks. */
const RUN_MS = 1_200_000;
/**
 * What every QEMU of the guest shares: little RAM (a migration copies all of it, and the guest
 * runs only systemd, the probe and the agent) and one TCG thread (see BootOptions.singleThreadTcg).
 */
const MIGRATABLE: BootOptions = { memoryMiB: 512, singleThreadTcg: true };
/** Where the agent's session helper puts received files: its HOME (see SESSION_DROP_IN). */
const DOWNLOADS = '/tmp';
/**
 * The guest has no desktop, so no logind session the agent would serve: a drop-in runs the
 * session modules as root (`--session current`) with HOME in a folder the sandbox lets it write,
 * and has the agent log every message it decodes (shown when a migration check fails).
 */
const SESSION_DROP_IN = `[Service]
Environment=HOME=${DOWNLOADS}
ExecStart=
ExecStart=/usr/bin/vdagent daemon --port auto --qga-port auto --session current --debug
`;
/** Sizes of the transfers in flight: large enough to outlast the migration's switch-over. */
const SEAMLESS_BYTES = 48 * 1024 * 1024;
const SEMI_SEAMLESS_BYTES = 12 * 1024 * 1024;
/** The copy must be under way, this far, before the migration starts. */
const UNDER_WAY_BYTES = 1024 * 1024;

const phases = new Phases();
const ports: SocketPort[] = [];
const guests: RunningGuest[] = [];
const clients: SpiceClient[] = [];
const latencies: string[] = [];
let image: GuestImage;
let deb: string;
let cache: string;

/** One guest under test: its QEMU now, its probe, the test's client, the agent as first seen. */
interface Run {
  dir: string;
  dataDisk: string;
  seamlessMigration: boolean;
  guest: RunningGuest;
  probe: ProbeQuestions;
  lines: LineChannel;
  client: SpiceClient;
  agentPid: string;
  agentCaps: number[];
}

/** A host file of `bytes` random bytes in the run's directory, and its SHA-256. */
function hostFile(run: Run, name: string, bytes: number): { path: string; sha256: string } {
  const path = join(run.dir, name);
  const data = randomBytes(bytes);
  writeFileSync(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Connects to the probe's port of `guest` (the guest's port sees its host come back). */
async function attachProbe(guest: RunningGuest): Promise<{ probe: ProbeQuestions; lines: LineChannel }> {
  const port = new SocketPort(guest.sockets.probe, 'probe socket');
  try {
    await port.open();
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${guest.consoleTail(20)}`);
  }
  ports.push(port);
  const lines = new LineChannel(port, () => guest.consoleTail());
  return { probe: new ProbeQuestions(port, lines), lines };
}

/** The agent unit's main process and how often systemd restarted it, as `systemctl show` says. */
async function agentUnit(probe: ProbeQuestions): Promise<string> {
  return (await probe.output('/usr/bin/systemctl', 'show', '-p', 'MainPID', '-p', 'NRestarts', 'vdagent.service')).trim();
}

/** The names in the guest's download folder, hidden ones included. */
async function downloads(probe: ProbeQuestions): Promise<string[]> {
  return (await probe.output('/usr/bin/ls', '-A', DOWNLOADS)).split('\n').filter(Boolean);
}

/** The guest's open files under the download folder (a transfer's unnamed O_TMPFILE shows as `/tmp/#N (deleted)`). */
async function openDownloads(probe: ProbeQuestions): Promise<string[]> {
  const out = await probe.output('/bin/sh', '-c', `ls -l /proc/[0-9]*/fd 2>/dev/null | grep -F -- '-> ${DOWNLOADS}/' || true`);
  return out.split('\n').filter(Boolean);
}

/** The last lines the agent logged (with --debug, every message it decoded), without file data. */
async function agentJournal(run: Run): Promise<string> {
  const journal = await run.probe.output('/usr/bin/journalctl', '-q', '-o', 'short-monotonic', '_SYSTEMD_UNIT=vdagent.service');
  return journal.split('\n').filter((l) => !l.includes('FILE_XFER_DATA')).slice(-40).join('\n');
}

/** The SHA-256 of a guest file. */
async function guestSha256(probe: ProbeQuestions, path: string): Promise<string> {
  return (await probe.output('/usr/bin/sha256sum', path)).split(' ')[0] ?? '';
}

/** The agent's announcement to the client: capabilities from a connected agent. */
const announced = (e: ClientEvent): boolean => e.event === 'agent' && e.connected === true && Array.isArray(e.caps) && e.caps.length > 0;

/**
 * Boots the guest for one kind of migration (`seamlessMigration` on every QEMU of it: the source's
 * setting decides the kind, and a destination with the other setting broke the guest here),
 * installs the package, lets the agent serve file-xfer, connects spice-gtk and copies a first file.
 */
async function startRun(label: string, seamlessMigration: boolean): Promise<Run> {
  const dir = join(cache, 'migration-run', label);
  mkdirSync(dir, { recursive: true });
  const dataDisk = join(dir, 'data.img');
  await phases.run(`${label}: data disk with the package`, () => buildDataDisk({ deb, actions: {}, enable: [] }, dir, dataDisk));
  const spicePort = await freePort();
  const guest = await bootGuest(image, dataDisk, dir, ['probe'], { ...MIGRATABLE, spice: { port: spicePort, seamlessMigration } });
  guests.push(guest);
  process.stdout.write(`e2e ${label}: booting with ${guest.accel}; console in ${join(dir, 'console.log')}\n`);
  const { probe, lines } = await attachProbe(guest);
  await phases.run(`${label}: boot (${guest.accel})`, () => lines.next(/^probe /, BOOT_MS));
  const install = await phases.run(`${label}: dpkg -i in the guest`, () => lines.next(/^install (-?\d+)$/, STEP_MS));
  if (install[1] !== '0') throw new Error(`dpkg -i failed:\n${lines.lines.filter((l) => l.startsWith('dpkg: ')).join('\n')}`);
  const agentPid = await phases.run(`${label}: session modules as root: drop-in, restart`, async () => {
    const dropIn = SESSION_DROP_IN.replace(/'/g, `'\\''`);
    await probe.output('/bin/sh', '-c', `mkdir -p /etc/systemd/system/vdagent.service.d && printf '%s' '${dropIn}' > /etc/systemd/system/vdagent.service.d/e2e-session.conf && systemctl daemon-reload && systemctl restart vdagent.service`);
    return /MainPID=(\d+)/.exec(await agentUnit(probe))?.[1] ?? '';
  });
  // The agent announces at once; its helper (tens of seconds under TCG) serves file-xfer later.
  await phases.run(`${label}: the session helper serves file-xfer`, () =>
    eventually(async () => {
      const journal = await probe.output('/usr/bin/journalctl', '-q', '-o', 'cat', '_SYSTEMD_UNIT=vdagent.service');
      if (!journal.includes('helper serves file-xfer')) throw new Error(`the helper does not serve file-xfer:\n${journal.split('\n').slice(-10).join('\n')}`);
    }, STEP_MS),
  );
  const client = await SpiceClient.start();
  clients.push(client);
  const caps = await phases.run(`${label}: spice-gtk connects, the agent announces`, async () => {
    client.connect(spicePort);
    return client.next(announced, 0, STEP_MS);
  });
  const run: Run = { dir, dataDisk, seamlessMigration, guest, probe, lines, client, agentPid, agentCaps: caps.caps as number[] };
  const file = hostFile(run, 'hello.txt', 4096);
  const id = client.copy(file.path);
  const done = await phases.run(`${label}: first file copy`, () => client.next((e) => e.event === 'copy' && e.id === id, 0, STEP_MS));
  expect(done).toMatchObject({ ok: true });
  expect(await guestSha256(probe, `${DOWNLOADS}/hello.txt`)).toBe(file.sha256);
  return run;
}

/** Starts a destination QEMU for the run's guest, waiting on a migration socket, and the SPICE port it serves. */
async function destination(run: Run, name: string): Promise<{ guest: RunningGuest; socket: string; spicePort: number }> {
  const socket = join(run.dir, `${name}migrate.sock`);
  const spicePort = await freePort();
  const options: BootOptions = { ...MIGRATABLE, spice: { port: spicePort, seamlessMigration: run.seamlessMigration }, incoming: `unix:${socket}`, name };
  const guest = await bootGuest(image, run.dataDisk, run.dir, ['probe'], options);
  guests.push(guest);
  return { guest, socket, spicePort };
}

/** Moves the run's guest to `target` while its client is connected; the probe follows. */
async function switchTo(run: Run, target: { guest: RunningGuest; socket: string; spicePort: number }, label: string): Promise<MigrationTimes> {
  const times = await phases.run(`${label}: migrate`, () => migrate(run.guest, target.guest, target.socket, target.spicePort, BOOT_MS));
  const old = run.guest;
  Object.assign(run, { guest: target.guest }, await attachProbe(target.guest));
  await old.stop();
  process.stdout.write(`e2e ${label}: total ${times.totalMs} ms, downtime ${times.downtimeMs} ms (QEMU's figures)\n`);
  return times;
}

/** Ends a run's QEMU processes (the next run boots its own). */
async function endRun(run: Run | undefined): Promise<void> {
  await run?.client.quit();
  for (const guest of guests.splice(0)) await guest.stop();
}

describe('live migration under a real spice-gtk client, the agent keeping its port', () => {
  beforeAll(async () => {
    deb = await packagePath();
    cache = cacheRoot();
    rmSync(join(cache, 'migration-run'), { recursive: true, force: true });
    image = await guestImage(cache, phases);
  });

  afterAll(async () => {
    for (const client of clients) await client.quit();
    for (const port of ports) await port.close();
    for (const guest of guests) await guest.stop();
    process.stdout.write(phases.summary());
    if (latencies.length) process.stdout.write(`e2e migration latencies:\n${latencies.map((l) => `  ${l}`).join('\n')}\n`);
  });

  it('seamless: a 48 MiB copy in flight arrives once and whole, the agent process untouched', async () => {
    let run: Run | undefined;
    try {
      run = await startRun('seamless', true);
      const { client } = run;
      const target = await phases.run('seamless: start the destination', () => destination(run as Run, 'b-'));
      const file = hostFile(run, 'seamless.bin', SEAMLESS_BYTES);
      const since = client.events.length;
      const id = client.copy(file.path);
      await client.next((e) => e.event === 'progress' && e.id === id && (e.sent as number) >= UNDER_WAY_BYTES, since, STEP_MS);
      const clip = client.requestClipboard();
      const times = await switchTo(run, target, 'seamless');
      const sentAtSwitch = client.events.filter((e) => e.event === 'progress' && e.id === id && e.t <= times.resumedAtMs).at(-1)?.sent as number;
      const done = await phases.run('seamless: the copy finishes', () => client.next((e) => e.event === 'copy' && e.id === id, since, 2 * STEP_MS));
      const firstAfter = client.events.find((e, i) => i >= since && e.event === 'progress' && e.id === id && e.t > times.resumedAtMs);
      const after = client.events.slice(since);
      latencies.push(
        `seamless: switch-over (destination RESUME) -> next copy progress ${firstAfter ? (firstAfter.t - times.resumedAtMs).toFixed(0) : '-'} ms; ` +
          `${sentAtSwitch ?? 0} of ${SEAMLESS_BYTES} bytes sent at the switch-over; agent announcements after it: ${after.filter((e) => announced(e) && e.t > times.resumedAtMs).length}`,
      );
      expect(sentAtSwitch).toBeLessThan(SEAMLESS_BYTES);
      expect(done).toMatchObject({ ok: true });
      expect(await guestSha256(run.probe, `${DOWNLOADS}/seamless.bin`)).toBe(file.sha256);
      expect((await downloads(run.probe)).filter((n) => n.startsWith('seamless'))).toEqual(['seamless.bin']);
      expect(await agentUnit(run.probe)).toBe(`MainPID=${run.agentPid}\nNRestarts=0`);
      // The cached guest has no X11 or Wayland session, so the clipboard module cannot start and
      // spice-gtk refuses the request: the agent never announced CLIPBOARD_BY_DEMAND.
      expect(run.agentCaps).not.toContain(Capability.ClipboardByDemand);
      expect(after.find((e) => e.id === clip)).toMatchObject({ event: 'refused' });
    } finally {
      await endRun(run);
    }
  }, RUN_MS);

  it('semi-seamless: spice-gtk reconnects mid-transfer; the new client is announced to and served, the cut transfer leaves no file', async () => {
    let run: Run | undefined;
    try {
      run = await startRun('semi-seamless', false);
      const { client } = run;
      const target = await phases.run('semi-seamless: start the destination', () => destination(run as Run, 'b-'));
      const file = hostFile(run, 'semi.bin', SEMI_SEAMLESS_BYTES);
      const since = client.events.length;
      const id = client.copy(file.path);
      await client.next((e) => e.event === 'progress' && e.id === id && (e.sent as number) >= UNDER_WAY_BYTES, since, STEP_MS);
      const times = await switchTo(run, target, 'semi-seamless');
      const sentAtSwitch = client.events.filter((e) => e.event === 'progress' && e.id === id && e.t <= times.resumedAtMs).at(-1)?.sent as number;
      const cut = await phases.run('semi-seamless: the copy in flight ends', () => client.next((e) => e.event === 'copy' && e.id === id, since, STEP_MS));
      // spice-gtk forgets the agent when it switches; spice-server then says it is there, and the
      // agent's announcement follows.
      const reset = await client.next((e) => e.event === 'agent' && !announced(e), since, STEP_MS);
      const back = await client.next((e) => e.event === 'agent' && e.connected === true, client.events.indexOf(reset), STEP_MS);
      latencies.push(
        `semi-seamless: switch-over (destination RESUME) -> AGENT_CONNECTED at the client ${(back.t - times.resumedAtMs).toFixed(0)} ms; ` +
          `${sentAtSwitch ?? 0} of ${SEMI_SEAMLESS_BYTES} bytes sent at the switch-over; the copy in flight ${cut.ok ? 'completed' : `failed (${String(cut.error)})`}`,
      );
      const announce = await phases.run('semi-seamless: the agent announces to the new client', async () => {
        try {
          return await client.next((e) => announced(e), client.events.indexOf(reset), STEP_MS);
        } catch (err) {
          throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- the agent's journal ---\n${await agentJournal(run as Run)}`);
        }
      });
      // Where the source stopped decides whether the announce cut into a message: say what the agent saw.
      const cutSeen = (await run.probe.output('/usr/bin/journalctl', '-q', '-o', 'cat', '_SYSTEMD_UNIT=vdagent.service')).split('\n').find((l) => l.includes('MessageCut'));
      latencies.push(
        `semi-seamless: switch-over (destination RESUME) -> the agent's announcement at the client ${(announce.t - times.resumedAtMs).toFixed(0)} ms; ` +
          `the agent: ${cutSeen?.trim() ?? 'no MessageCut (the announce came at a message boundary)'}`,
      );
      expect(sentAtSwitch).toBeLessThan(SEMI_SEAMLESS_BYTES);
      expect(announce.caps).toEqual(run.agentCaps);
      const after = hostFile(run, 'after.txt', 4096);
      const next = client.copy(after.path);
      expect(await phases.run('semi-seamless: a new copy', () => client.next((e) => e.event === 'copy' && e.id === next, since, STEP_MS))).toMatchObject({ ok: true });
      expect(await guestSha256(run.probe, `${DOWNLOADS}/after.txt`)).toBe(after.sha256);
      if (cut.ok) expect(await guestSha256(run.probe, `${DOWNLOADS}/semi.bin`)).toBe(file.sha256);
      else expect((await downloads(run.probe)).filter((n) => n.startsWith('semi') || n.startsWith('.vdagent-xfer-'))).toEqual([]);
      expect(await openDownloads(run.probe)).toEqual([]);
      expect(await agentUnit(run.probe)).toBe(`MainPID=${run.agentPid}\nNRestarts=0`);
    } finally {
      await endRun(run);
    }
  }, RUN_MS);
});
