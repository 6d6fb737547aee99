import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileXferResult, MessageType } from '../../src/protocol/index.js';
import { FrameChannel, MAX_FRAME } from '../../src/session/channel.js';
import { NODE_FLAGS, SessionHelper, type VersionRestarts } from '../../src/session/helper.js';
import type { Desktop } from '../../src/session/source.js';
import { CHANNEL_PROTOCOL, type HelperVersionError, installedVersion, type ProgramVersion } from '../../src/session/version.js';
import { makeActionsDir } from '../support/actions-dir.js';
import { TransferClient } from '../support/file-xfer-client.js';
import { CLI, ROOT, startPtyHarness, type Harness } from '../support/harness.js';
import { memoryLogger } from '../support/log.js';
import { helperPid } from '../support/proc.js';

/** A helper process that reports the version its "installed files" name (see the fixture). */
const FIXTURE = fileURLToPath(new URL('../fixtures/versioned-helper.mjs', import.meta.url));
/** The daemon's version in the tests of SessionHelper. */
const DAEMON: ProgramVersion = { package: '0.2.0', channel: CHANNEL_PROTOCOL };
/** Quick restarts, so that giving up comes within a test. */
const QUICK: VersionRestarts = { attempts: 2, initialMs: 50, maxMs: 100 };

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a session helper of another version, as real processes on the real channel', () => {
  let dir: string;
  /** The "installed files": the version the next helper started reports (null: a hello without one). */
  let installed: string;
  /** What each helper process noted: `PID started|received|closed|SIGTERM …`. */
  let record: string;
  let helper: SessionHelper;
  let logLines: () => string[];
  const refusals: HelperVersionError[] = [];

  /** Each helper process's notes, by pid, in the order the processes started. */
  const processes = (): Map<number, string[]> => {
    const byPid = new Map<number, string[]>();
    for (const line of readFileSync(record, 'utf8').split('\n').filter(Boolean)) {
      const [pid = '', ...rest] = line.split(' ');
      byPid.set(Number(pid), [...(byPid.get(Number(pid)) ?? []), rest.join(' ')]);
    }
    return byPid;
  };
  const notes = (): string[][] => [...processes().values()];
  const install = (version: ProgramVersion | null): void => writeFileSync(installed, JSON.stringify(version));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'helper-version-'));
    installed = join(dir, 'installed.json');
    record = join(dir, 'record');
    writeFileSync(record, '');
    refusals.length = 0;
    const desktop: Desktop = { id: 'v', greeter: false, locked: false, environment: async () => ({}) };
    const memory = memoryLogger();
    logLines = memory.lines;
    helper = new SessionHelper(desktop, { execPath: process.execPath, args: [FIXTURE, record, installed], version: DAEMON }, memory.log, undefined, QUICK);
    helper.on('refused', (err) => refusals.push(err));
  });

  afterEach(async () => {
    await helper.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops a helper that reports another version before a byte is sent to it, and uses the one started again from the installed files', async () => {
    install({ package: '0.1.0', channel: CHANNEL_PROTOCOL });
    // The upgrade completes while the refused helper ends: the next one is the daemon's version.
    helper.once('refused', () => install(DAEMON));
    const greeted = new Promise<void>((resolve) => helper.once('hello', resolve));
    helper.start();
    await greeted;
    helper.send({ kind: 'displays', devices: [] });
    await expect.poll(() => notes()[1]?.some((n) => n.startsWith('received ')), { timeout: 5000 }).toBe(true);

    expect(refusals.map((e) => [e.code, e.reported?.package])).toEqual([['OtherVersion', '0.1.0']]);
    const [refused = [], used = []] = notes();
    // The refused helper heard nothing on its channel; it was ended (its channel closed, or SIGTERM).
    expect(refused[0]).toBe('started 0.2.0/1');
    expect(refused.filter((n) => n.startsWith('received '))).toEqual([]);
    expect(refused.slice(1)).toEqual([expect.stringMatching(/^(closed|SIGTERM)$/)]);
    expect(used[0]).toBe('started 0.2.0/1');
    expect(logLines().filter((l) => l.startsWith('warn: ') && l.includes('OtherVersion'))).toHaveLength(1);
  });

  it('refuses a helper from before the exchange (a hello without a version) as NoVersion', async () => {
    install(null);
    helper.once('refused', () => install(DAEMON));
    const greeted = new Promise<void>((resolve) => helper.once('hello', resolve));
    helper.start();
    await greeted;
    expect(refusals.map((e) => [e.code, e.reported])).toEqual([['NoVersion', undefined]]);
  });

  it('tells the bridge nothing of a refused helper: no hello, no message', async () => {
    install({ package: '0.1.0', channel: CHANNEL_PROTOCOL });
    const heard: string[] = [];
    for (const event of ['hello', 'running', 'message', 'layout', 'closed'] as const) helper.on(event, () => heard.push(event));
    helper.start();
    await new Promise<void>((resolve) => helper.once('refused', () => resolve()));
    await helper.stop();
    expect(heard).toEqual([]);
  });

  it('gives up after the bounded number of restarts, with an error line, and starts no more helpers', async () => {
    install({ package: '9.9.9', channel: CHANNEL_PROTOCOL + 1 });
    const abandoned = new Promise<HelperVersionError>((resolve) => helper.once('abandoned', resolve));
    helper.start();
    expect((await abandoned).code).toBe('OtherVersion');
    expect(refusals).toHaveLength(QUICK.attempts + 1);
    await delay(QUICK.maxMs * 5);
    expect(notes()).toHaveLength(QUICK.attempts + 1);
    expect(notes().every((n) => !n.some((line) => line.startsWith('received ')))).toBe(true);
    expect(logLines().filter((l) => l.startsWith('error: ') && l.includes('OtherVersion'))).toHaveLength(1);
  });

  it('counts anew once a helper of the daemon’s version was used', async () => {
    install({ package: '0.1.0', channel: CHANNEL_PROTOCOL });
    helper.once('refused', () => install(DAEMON));
    const greeted = new Promise<void>((resolve) => helper.once('hello', resolve));
    helper.start();
    await greeted;
    // The installed files change again and the used helper ends: the full number of restarts is there again.
    install({ package: '0.3.0', channel: CHANNEL_PROTOCOL });
    const abandoned = new Promise<HelperVersionError>((resolve) => helper.once('abandoned', resolve));
    process.kill([...processes().keys()][1] ?? 0, 'SIGKILL');
    await abandoned;
    expect(refusals).toHaveLength(1 + QUICK.attempts + 1);
  });
});

/**
 * Copies what an installation holds (dist/, package.json; node_modules linked) into
 * `<parent>/vdagent`; returns the copy's root.
 */
function installCopy(parent: string): string {
  const copy = join(parent, 'vdagent');
  mkdirSync(copy);
  execFileSync('cp', ['-a', join(ROOT, 'dist'), join(ROOT, 'package.json'), copy]);
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'));
  return copy;
}

/** Rewrites the version in an installation's package.json, as unpacking another release does. */
function setPackageVersion(copy: string, version: string): void {
  const path = join(copy, 'package.json');
  writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as object), version }, null, 2));
}

describe('the daemon and `vdagent session` when the installed files change under the running daemon', () => {
  let root: string;
  let copy: string;
  let agent: Harness;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'upgrade-under-'));
    chmodSync(root, 0o755);
    copy = installCopy(root);
    const cli = join(copy, 'dist', 'cli.js');
    // The daemon runs the copy: the prefix replaces the CLI the harness names with the copy's.
    agent = await startPtyHarness({
      actionsDirs: [makeActionsDir(root, { 'file-xfer': '' })],
      session: 'current',
      env: { HOME: root },
      prefix: ['sh', '-c', `for a; do shift; [ "$a" = "${CLI}" ] && a="${cli}"; set -- "$@" "$a"; done; exec "$0" "$@"`],
    });
    await agent.sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: 5000 });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') process.stderr.write(`--- daemon log ---\n${agent.logs()}\n`);
    await agent.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses the helper started from files of another version, and serves with the one started once the files are its own again', async () => {
    const client = new TransferClient(agent);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    const first = helperPid(agent.pid) as number;
    expect(agent.logs()).toContain(`vdagent daemon ${installedVersion().package}/${CHANNEL_PROTOCOL}`);

    // An upgrade unpacks its files; the helper ends meanwhile (a crash, a new session): the next one is the new version.
    setPackageVersion(copy, '9.9.9');
    process.kill(first, 'SIGKILL');
    await expect.poll(() => agent.logs(), { timeout: 10_000 }).toContain('OtherVersion');
    expect((await client.begin('a.txt', 1)).status.result).toBe(FileXferResult.VdagentNotConnected);

    // The files are the daemon's version again (a downgrade back, or the daemon's own release): served.
    setPackageVersion(copy, installedVersion().package);
    expect((await client.untilServed()).result).toBe(FileXferResult.CanSendData);
    expect((await client.sendFile('after.txt', Buffer.from('after'))).result).toBe(FileXferResult.Success);
    expect(helperPid(agent.pid)).not.toBe(first);
  });
});

describe('`vdagent session` started by a daemon of another release', () => {
  it('says hello with its version, serves nothing (a 0.1.0 daemon never stops it), and ends by itself with status 3', async () => {
    // As a 0.1.0 daemon starts it: no VDAGENT_DAEMON_VERSION, the channel on fd 3.
    const env = { ...process.env, VDAGENT_DAEMON_VERSION: undefined };
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI, 'session'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env });
    const exited = once(child, 'exit');
    const channel = new FrameChannel(child.stdio[3] as Duplex, MAX_FRAME);
    const heard: unknown[] = [];
    channel.on('message', (m) => heard.push(m));
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(1);
    expect(heard[0]).toEqual({ kind: 'hello', version: installedVersion() });
    // What the old daemon then sends is not read: no module starts, nothing comes back.
    channel.send({ kind: 'modules', modules: [{ name: 'file-xfer', settings: [] }] });
    const [code] = await exited;
    expect(code).toBe(3);
    expect(heard).toHaveLength(1);
  });
});
