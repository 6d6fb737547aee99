import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability } from '../../src/protocol/index.js';
import { cacheRoot } from './support/cache.js';
import { buildDataDisk } from './support/data-disk.js';
import { eventually } from './support/eventually.js';
import { DESKTOP_DISPLAY, DESKTOP_USER, desktopImage } from './support/desktop-image.js';
import { guestImage, type GuestImage } from './support/guest-image.js';
import { LineChannel } from './support/line-channel.js';
import { freePort, migrate, type MigrationTimes } from './support/migration.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { ProbeQuestions } from './support/probe-questions.js';
import { bootGuest, type BootOptions, type RunningGuest } from './support/qemu.js';
import { SocketPort } from './support/socket-port.js';
import { announced, SpiceClient } from './support/spice-client.js';

/** Generous limits: under TCG on two cores, with other work beside it, everything is slow. */
const BOOT_MS = 600_000;
const STEP_MS = 120_000;
/** A whole run: boot, install, migration and checks. */
const RUN_MS = 1_200_000;
/**
 * What every QEMU of the guest shares: little RAM (a migration copies all of it) and one TCG
 * thread (see BootOptions.singleThreadTcg).
 */
const MIGRATABLE: BootOptions = { memoryMiB: 512, singleThreadTcg: true };

/** How a run's guest is made and how its agent serves the session modules. */
interface GuestKind {
  /** What the run's phases call its agent set-up. */
  setUp: string;
  /** The agent's drop-in (it makes the agent log every message it decodes: shown when a check fails). */
  dropIn: string;
  /** Where the session helper puts received files. */
  downloads: string;
  /** The session modules the run waits for. */
  serves: readonly string[];
  /** QEMU settings of every QEMU of the guest, besides SPICE. */
  boot: BootOptions;
  /** The guest image: the base one, or the desktop one. */
  image: () => GuestImage;
}

/**
 * The base guest has no desktop, so no logind session the agent would serve: a drop-in runs the
 * session modules as root (`--session current`) with HOME in a folder the sandbox lets it write.
 */
const ROOT_SESSION: GuestKind = {
  setUp: 'session modules as root: drop-in, restart',
  dropIn: `[Service]
Environment=HOME=/tmp
ExecStart=
ExecStart=/usr/bin/vdagent daemon --port auto --qga-port auto --session current --debug
`,
  downloads: '/tmp',
  serves: ['file-xfer'],
  boot: MIGRATABLE,
  image: () => image,
};

/**
 * The desktop guest (desktop-image.ts: Xorg on QXL, its user logged in on seat0, xclip): the agent
 * serves that user's session as installed, clipboard included; more RAM for Xorg and a clipboard
 * of several MiB held by xclip, the helper and the daemon at once.
 */
const DESKTOP_SESSION: GuestKind = {
  setUp: 'the agent with --debug: drop-in, restart',
  dropIn: `[Service]
ExecStart=
ExecStart=/usr/bin/vdagent daemon --port auto --qga-port auto --debug
`,
  downloads: `/home/${DESKTOP_USER.name}`,
  serves: ['file-xfer', 'clipboard'],
  boot: { ...MIGRATABLE, memoryMiB: 768, vga: 'qxl' },
  image: () => desktop,
};

/** Sizes of the transfers in flight: large enough to outlast the migration's switch-over. */
const SEAMLESS_BYTES = 48 * 1024 * 1024;
const SEMI_SEAMLESS_BYTES = 12 * 1024 * 1024;
/**
 * Random bytes whose base64 (76-column lines, about 8 MiB) the guest's clipboard holds: its answer
 * to the client takes seconds under TCG, so it is in flight across the switch-over.
 */
const CLIPBOARD_RANDOM_BYTES = 6_000_000;
/** The copy must be under way, this far, before the migration starts. */
const UNDER_WAY_BYTES = 1024 * 1024;

const phases = new Phases();
const ports: SocketPort[] = [];
const guests: RunningGuest[] = [];
const clients: SpiceClient[] = [];
const latencies: string[] = [];
let image: GuestImage;
let desktop: GuestImage;
let deb: string;
let cache: string;

/** One guest under test: its QEMU now, its probe, the test's client, the agent as first seen. */
interface Run {
  kind: GuestKind;
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
async function downloads(run: Run): Promise<string[]> {
  return (await run.probe.output('/usr/bin/ls', '-A', run.kind.downloads)).split('\n').filter(Boolean);
}

/** The guest's open files under the download folder (a transfer's unnamed O_TMPFILE shows as `/tmp/#N (deleted)`). */
async function openDownloads(run: Run): Promise<string[]> {
  const out = await run.probe.output('/bin/sh', '-c', `ls -l /proc/[0-9]*/fd 2>/dev/null | grep -F -- '-> ${run.kind.downloads}/' || true`);
  return out.split('\n').filter(Boolean);
}

/**
 * The last lines the agent logged (with --debug, every message it decoded), each run of file
 * data lines shown as its first and last line and a count, and what the guest's virtio-serial
 * ports counted (debugfs): bytes the guest kernel received from the host and sent to it.
 */
async function agentJournal(run: Run): Promise<string> {
  const journal = await run.probe.output('/usr/bin/journalctl', '-q', '-o', 'short-monotonic', '_SYSTEMD_UNIT=vdagent.service');
  const ports = await run.probe.output('/bin/sh', '-c', 'grep -H . /sys/kernel/debug/virtio-ports/* 2>&1 || true');
  return `${collapseData(journal.split('\n')).slice(-100).join('\n')}\n--- /sys/kernel/debug/virtio-ports ---\n${ports}`;
}

/** `lines` with each run of three or more FILE_XFER_DATA lines cut to its first, a count, and its last. */
function collapseData(lines: readonly string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    out.push(...(run.length < 3 ? run : [run[0] as string, `  … ${run.length - 2} more FILE_XFER_DATA lines …`, run.at(-1) as string]));
    run = [];
  };
  for (const line of lines) {
    if (line.includes('FILE_XFER_DATA')) run.push(line);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out;
}

/**
 * Where the guest's time went between the switch-over and the agent's announcement, from the
 * agent's journal (`short-monotonic`: the guest's clock, which stands still while the guest is
 * stopped, as journald stamped each line on receipt): from the last line before the new client's
 * first message (the switch-over, give or take the gap between two file data lines) to the agent
 * reading that message, and on to its announcement.
 */
function guestSplit(journal: string, clock: GuestClock, resumedAtMs: number): string {
  const lines = journal.split('\n').map((l) => ({ t: Number(/^\[\s*(\d+\.\d+)\]/.exec(l)?.[1] ?? NaN) * 1000, text: l }));
  const lastData = lines.findLastIndex((l) => l.text.includes('FILE_XFER_DATA'));
  const first = lines.findIndex((l, i) => i > lastData && /MessageCut|<- FILE_XFER_STATUS|<- ANNOUNCE_CAPABILITIES request=1/.test(l.text));
  const read = lines[first];
  const before = lines.slice(0, Math.max(first, 0)).findLast((l) => !Number.isNaN(l.t));
  const answer = lines.slice(first + 1).find((l) => l.text.includes('-> ANNOUNCE_CAPABILITIES'));
  if (first < 0 || !read || !before || !answer) return 'not found in the journal';
  const resumed = lines.slice(0, first).findLastIndex((l) => l.text.includes('port resumed'));
  const paused = lines.slice(0, Math.max(resumed, 0)).findLast((l) => l.text.includes('port paused'));
  const flow = resumed > lastData && paused ? ` (the port paused ${(read.t - paused.t).toFixed(0)} ms before it, for the helper, resumed ${(read.t - (lines[resumed]?.t ?? NaN)).toFixed(0)} ms before it)` : '';
  const sinceResume = (t: number): string => (t + clock.offsetMs - resumedAtMs).toFixed(0);
  return (
    `the previous line -> the new client's first message read ${(read.t - before.t).toFixed(0)} ms${flow} -> the announcement sent ${(answer.t - read.t).toFixed(0)} ms; ` +
    `on the host's clock (± ${clock.errorMs.toFixed(0)} ms) the first message was read ${sinceResume(read.t)} ms and the announcement sent ${sinceResume(answer.t)} ms after RESUME`
  );
}

/** The guest's monotonic clock against the host's wall clock: host ms = guest ms + offsetMs, within errorMs. */
interface GuestClock {
  offsetMs: number;
  errorMs: number;
}

/** Reads the guest's uptime (the journal's monotonic clock, 10 ms steps) and where it lay on the host's clock, from the probe's round trip. */
async function guestClock(probe: ProbeQuestions): Promise<GuestClock> {
  const sent = Date.now();
  const uptime = Number((await probe.output('/bin/cat', '/proc/uptime')).split(' ')[0]) * 1000;
  const answered = Date.now();
  return { offsetMs: (sent + answered) / 2 - uptime, errorMs: (answered - sent) / 2 + 10 };
}

/** Runs a step of the run; when it fails, its error carries the agent's journal and the guest's console (a guest kernel's BUG shows there). */
async function withJournal<T>(run: Run, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const journal = await agentJournal(run).catch((e: unknown) => `(not read: ${String(e)})`);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- the agent's journal ---\n${journal}\n${run.guest.consoleTail(30)}`);
  }
}

/** The SHA-256 of a guest file. */
async function guestSha256(probe: ProbeQuestions, path: string): Promise<string> {
  return (await probe.output('/usr/bin/sha256sum', path)).split(' ')[0] ?? '';
}


/**
 * Boots the guest of `kind` for one kind of migration (`seamlessMigration` on every QEMU of it: the
 * source's setting decides the kind, and a destination with the other setting broke the guest
 * here), installs the package, lets the agent serve its session modules, connects spice-gtk and
 * copies a first file.
 */
async function startRun(label: string, seamlessMigration: boolean, kind: GuestKind): Promise<Run> {
  const dir = join(cache, 'migration-run', label);
  mkdirSync(dir, { recursive: true });
  const dataDisk = join(dir, 'data.img');
  await phases.run(`${label}: data disk with the package`, () => buildDataDisk({ deb, actions: {}, enable: [] }, dir, dataDisk));
  const spicePort = await freePort();
  const guest = await bootGuest(kind.image(), dataDisk, dir, ['probe'], { ...kind.boot, spice: { port: spicePort, seamlessMigration } });
  guests.push(guest);
  process.stdout.write(`e2e ${label}: booting with ${guest.accel}; console in ${join(dir, 'console.log')}\n`);
  const { probe, lines } = await attachProbe(guest);
  await phases.run(`${label}: boot (${guest.accel})`, () => lines.next(/^probe /, BOOT_MS));
  const install = await phases.run(`${label}: dpkg -i in the guest`, () => lines.next(/^install (-?\d+)$/, STEP_MS));
  if (install[1] !== '0') throw new Error(`dpkg -i failed:\n${lines.lines.filter((l) => l.startsWith('dpkg: ')).join('\n')}`);
  const agentPid = await phases.run(`${label}: ${kind.setUp}`, async () => {
    await restartWithDropIn(probe, kind.dropIn);
    return /MainPID=(\d+)/.exec(await agentUnit(probe))?.[1] ?? '';
  });
  // The agent announces at once; its helper (tens of seconds under TCG) serves its modules later.
  await phases.run(`${label}: the session helper serves ${kind.serves.join(', ')}`, () =>
    eventually(async () => {
      const journal = await probe.output('/usr/bin/journalctl', '-q', '-o', 'cat', '_SYSTEMD_UNIT=vdagent.service');
      const last = journal.split('\n').filter((l) => l.includes('helper serves ')).at(-1) ?? '';
      const served = last.slice(last.indexOf('helper serves ') + 'helper serves '.length).split(', ');
      if (!kind.serves.every((m) => served.includes(m))) throw new Error(`the helper does not serve ${kind.serves.join(', ')}:\n${journal.split('\n').slice(-10).join('\n')}`);
    }, STEP_MS),
  );
  const client = await SpiceClient.start();
  clients.push(client);
  const caps = await phases.run(`${label}: spice-gtk connects, the agent announces`, async () => {
    client.connect(spicePort);
    return client.next(announced, 0, STEP_MS);
  });
  const run: Run = { kind, dir, dataDisk, seamlessMigration, guest, probe, lines, client, agentPid, agentCaps: caps.caps as number[] };
  const file = hostFile(run, 'hello.txt', 4096);
  const id = client.copy(file.path);
  const done = await phases.run(`${label}: first file copy`, () => client.next((e) => e.event === 'copy' && e.id === id, 0, STEP_MS));
  expect(done).toMatchObject({ ok: true });
  expect(await guestSha256(probe, `${kind.downloads}/hello.txt`)).toBe(file.sha256);
  return run;
}

/**
 * Puts an owner of the guest's CLIPBOARD in place: xclip, as the desktop's user on its display,
 * serving the base64 text of CLIPBOARD_RANDOM_BYTES random bytes (xclip stays in the background
 * and must not hold the probe's pipes); waits until the agent's grab reached the client. The
 * text's size and SHA-256.
 */
async function ownClipboard(run: Run): Promise<{ size: number; sha256: string }> {
  const path = '/tmp/e2e-clipboard.txt';
  const since = run.client.events.length;
  const xclip = `/usr/sbin/runuser -u ${DESKTOP_USER.name} -- /usr/bin/env DISPLAY=${DESKTOP_DISPLAY} /usr/bin/xclip -selection clipboard -i ${path}`;
  await run.probe.output('/bin/sh', '-c', `head -c ${CLIPBOARD_RANDOM_BYTES} /dev/urandom | base64 -w 76 > ${path} && chmod 644 ${path} && ${xclip} >/dev/null 2>&1`);
  const size = Number((await run.probe.output('/usr/bin/stat', '-c', '%s', path)).trim());
  const sha256 = await guestSha256(run.probe, path);
  await withJournal(run, () => run.client.next((e) => e.event === 'guest-grab' && e.selection === 0, since, STEP_MS));
  return { size, sha256 };
}

/**
 * Installs the agent's drop-in and restarts it. In the background of the guest: under TCG on a
 * busy host `systemctl daemon-reload` alone took up to 26 s, and the probe ends a program after 30.
 */
async function restartWithDropIn(probe: ProbeQuestions, dropIn: string): Promise<void> {
  const dir = '/etc/systemd/system/vdagent.service.d';
  const done = '/run/e2e-agent-restarted';
  const restart = `{ (systemctl daemon-reload && systemctl restart vdagent.service; echo $? > ${done}) </dev/null >/dev/null 2>&1 & }`;
  await probe.output('/bin/sh', '-c', `rm -f ${done} && mkdir -p ${dir} && printf '%s' '${dropIn.replace(/'/g, `'\\''`)}' > ${dir}/e2e-session.conf && ${restart}`);
  const status = await eventually(() => probe.output('/bin/cat', done), STEP_MS);
  if (status.trim() !== '0') throw new Error(`systemctl daemon-reload and restart vdagent.service ended with ${status.trim()}`);
}

/** Starts a destination QEMU for the run's guest, waiting on a migration socket, and the SPICE port it serves. */
async function destination(run: Run, name: string): Promise<{ guest: RunningGuest; socket: string; spicePort: number }> {
  const socket = join(run.dir, `${name}migrate.sock`);
  const spicePort = await freePort();
  const options: BootOptions = { ...run.kind.boot, spice: { port: spicePort, seamlessMigration: run.seamlessMigration }, incoming: `unix:${socket}`, name };
  const guest = await bootGuest(run.kind.image(), run.dataDisk, run.dir, ['probe'], options);
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

describe('migration under a real spice-gtk client (live, or under TCG with the source stopped first), the agent keeping its port', () => {
  beforeAll(async () => {
    deb = await packagePath();
    cache = cacheRoot();
    rmSync(join(cache, 'migration-run'), { recursive: true, force: true });
    image = await guestImage(cache, phases);
    desktop = await desktopImage(cache, image, phases);
  });

  afterAll(async () => {
    for (const client of clients) await client.quit();
    for (const port of ports) await port.close();
    for (const guest of guests) await guest.stop();
    process.stdout.write(phases.summary());
    if (latencies.length) process.stdout.write(`e2e migration latencies:\n${latencies.map((l) => `  ${l}`).join('\n')}\n`);
  });

  it('seamless: a 48 MiB copy and an 8 MiB guest clipboard answer in flight each arrive once and whole, the agent process untouched', async () => {
    let run: Run | undefined;
    try {
      run = await startRun('seamless', true, DESKTOP_SESSION);
      const { client } = run;
      expect(run.agentCaps).toContain(Capability.ClipboardByDemand);
      const target = await phases.run('seamless: start the destination', () => destination(run as Run, 'b-'));
      const clipboard = await phases.run('seamless: xclip owns the guest clipboard, the client hears the grab', () => ownClipboard(run as Run));
      const file = hostFile(run, 'seamless.bin', SEAMLESS_BYTES);
      const since = client.events.length;
      const id = client.copy(file.path);
      await client.next((e) => e.event === 'progress' && e.id === id && (e.sent as number) >= UNDER_WAY_BYTES, since, STEP_MS);
      const clip = client.requestClipboard();
      const times = await switchTo(run, target, 'seamless');
      const sentAtSwitch = client.events.filter((e) => e.event === 'progress' && e.id === id && e.t <= times.resumedAtMs).at(-1)?.sent as number;
      const done = await phases.run('seamless: the copy finishes', () => withJournal(run as Run, () => client.next((e) => e.event === 'copy' && e.id === id, since, 2 * STEP_MS)));
      const answer = await phases.run('seamless: the clipboard answer arrives', () => withJournal(run as Run, () => client.next((e) => e.event === 'clipboard' && e.id === clip, since, STEP_MS)));
      const firstAfter = client.events.find((e, i) => i >= since && e.event === 'progress' && e.id === id && e.t > times.resumedAtMs);
      const after = client.events.slice(since);
      latencies.push(
        `seamless: switch-over (destination RESUME) -> next copy progress ${firstAfter ? (firstAfter.t - times.resumedAtMs).toFixed(0) : '-'} ms; ` +
          `${sentAtSwitch ?? 0} of ${SEAMLESS_BYTES} bytes sent at the switch-over; the clipboard answer (${clipboard.size} bytes) ${(answer.t - times.resumedAtMs).toFixed(0)} ms after it; ` +
          `agent announcements after it: ${after.filter((e) => announced(e) && e.t > times.resumedAtMs).length}`,
      );
      expect(sentAtSwitch).toBeLessThan(SEAMLESS_BYTES);
      expect(done).toMatchObject({ ok: true });
      expect(await guestSha256(run.probe, `${run.kind.downloads}/seamless.bin`)).toBe(file.sha256);
      expect((await downloads(run)).filter((n) => n.startsWith('seamless'))).toEqual(['seamless.bin']);
      // Asked for before the switch-over (whether the answer was still in flight then, the latency line says): once, whole.
      expect(answer).toMatchObject({ selection: 0, type: 1, size: clipboard.size, sha256: clipboard.sha256 });
      expect(after.filter((e) => e.event === 'clipboard')).toHaveLength(1);
      expect(await agentUnit(run.probe)).toBe(`MainPID=${run.agentPid}\nNRestarts=0`);
    } finally {
      await endRun(run);
    }
  }, RUN_MS);

  it('semi-seamless: spice-gtk reconnects mid-transfer; the new client is announced to and served, the cut transfer leaves no file', async () => {
    let run: Run | undefined;
    try {
      run = await startRun('semi-seamless', false, ROOT_SESSION);
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
      const announce = await phases.run('semi-seamless: the agent announces to the new client', () =>
        withJournal(run as Run, () => client.next((e) => announced(e), client.events.indexOf(reset), STEP_MS)),
      );
      // Where the source stopped decides whether the announce cut into a message: say what the agent saw.
      const journal = await run.probe.output('/usr/bin/journalctl', '-q', '-o', 'short-monotonic', '_SYSTEMD_UNIT=vdagent.service');
      const clock = await guestClock(run.probe);
      const cutSeen = journal.split('\n').find((l) => l.includes('MessageCut'));
      latencies.push(
        `semi-seamless: switch-over (destination RESUME) -> the agent's announcement at the client ${(announce.t - times.resumedAtMs).toFixed(0)} ms ` +
          `(AGENT_CONNECTED -> the announcement ${(announce.t - back.t).toFixed(0)} ms; in the guest: ${guestSplit(journal, clock, times.resumedAtMs)}); ` +
          `the agent: ${cutSeen?.replace(/^.*?: /, '').trim() ?? 'no MessageCut (the announce came at a message boundary)'}`,
      );
      expect(sentAtSwitch).toBeLessThan(SEMI_SEAMLESS_BYTES);
      expect(announce.caps).toEqual(run.agentCaps);
      const after = hostFile(run, 'after.txt', 4096);
      const next = client.copy(after.path);
      const copied = await phases.run('semi-seamless: a new copy', () => withJournal(run as Run, () => client.next((e) => e.event === 'copy' && e.id === next, since, STEP_MS)));
      expect(copied).toMatchObject({ ok: true });
      expect(await guestSha256(run.probe, `${run.kind.downloads}/after.txt`)).toBe(after.sha256);
      if (cut.ok) expect(await guestSha256(run.probe, `${run.kind.downloads}/semi.bin`)).toBe(file.sha256);
      else expect((await downloads(run)).filter((n) => n.startsWith('semi') || n.startsWith('.vdagent-xfer-'))).toEqual([]);
      expect(await openDownloads(run)).toEqual([]);
      expect(await agentUnit(run.probe)).toBe(`MainPID=${run.agentPid}\nNRestarts=0`);
    } finally {
      await endRun(run);
    }
  }, RUN_MS);
});
