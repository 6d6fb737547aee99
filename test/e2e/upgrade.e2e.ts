import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, MessageType } from '../../src/protocol/index.js';
import { ClientSimulator } from '../../src/sim/simulator.js';
import { ROOT } from '../support/harness.js';
import { cacheRoot, freshRunDir } from './support/cache.js';
import { buildDataDisk } from './support/data-disk.js';
import { run } from './support/exec.js';
import { guestImage } from './support/guest-image.js';
import { LineChannel } from './support/line-channel.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { previousRelease, previousReleasePackage, type PreviousRelease } from './support/previous-release.js';
import { ProbeQuestions } from './support/probe-questions.js';
import { bootGuest, type RunningGuest } from './support/qemu.js';
import { QgaClient } from './support/qga-client.js';
import { SocketPort } from './support/socket-port.js';

/** Generous limits: under TCG on two cores the guest boots in minutes, not seconds. */
const BOOT_MS = 600_000;
const STEP_MS = 120_000;
/** How long the client listens after the new agent announced, for anything else it might say. */
const SETTLE_MS = 5000;

/**
 * The administrator's entries in /etc/vdagent/actions.d, in the format the previous release's
 * vdagent-actions.d(5) documents: an admin action's content (programs, an `env =` line) and a
 * module's `key = value` setting with a comment.
 */
const ADMIN_ACTIONS: Record<string, string> = {
  exec: '/usr/bin/echo\nenv = TZ\n',
  mouse: '# a fixed desktop while no session reports one\nlayout = 1024x768+0+0\n',
};
/** The vendor module the administrator masks, as that man page shows: a link to /dev/null. */
const MASKED = 'graphics-device-info';
/** Everything under /etc/vdagent: path, type, mode, owner, link target; then each file's hash. */
const ETC_LISTING = ['sh', '-c', "find /etc/vdagent -printf '%p %y %m %U:%G %l\\n' | sort; find /etc/vdagent -type f -exec sha256sum {} + | sort"];
/** Where the upgrade's dpkg writes its output and status in the guest. */
const UPGRADE_LOG = '/run/e2e-upgrade.log';
const UPGRADE_STATUS = '/run/e2e-upgrade.status';

const phases = new Phases();
const ports: SocketPort[] = [];
let release: PreviousRelease;
let version: string;
let guest: RunningGuest;
let probe: LineChannel;
let questions: ProbeQuestions;
let sim: ClientSimulator;
let oldPid: number;
let etcBefore: string;

/** The options the previous release's `vdagent --help` documents (from that release's src/cli.ts). */
async function previousOptions(): Promise<string[]> {
  const cli = await run('git', ['-C', ROOT, 'show', `${release.commit}:src/cli.ts`]);
  const help = /const HELP = `([\s\S]*?)`;/.exec(cli)?.[1] ?? '';
  return [...new Set(help.match(/--[a-z][a-z-]+/g) ?? [])];
}

/** A message as the sequence assertions read it: who sent it, its type, and an announcement's request flag. */
const summary = (r: ClientSimulator['records'][number]): string =>
  `${r.from} ${r.message ? MessageType[r.message.type] : `error ${r.error?.code}`}${r.message?.type === MessageType.AnnounceCapabilities ? ` request=${Number(r.message.request)}` : ''}`;

describe('an upgrade from the previous release in a Debian guest, as apt does it', () => {
  beforeAll(async () => {
    release = await previousRelease();
    ({ version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string });
    const cache = cacheRoot();
    const [previous, deb] = await phases.run(`${release.tag}'s package (built once per commit)`, () => Promise.all([previousReleasePackage(cache, release), packagePath()]));
    const runDir = freshRunDir(cache, 'upgrade-run');
    const image = await guestImage(cache, phases);
    const dataDisk = join(runDir, 'data.img');
    // The probe installs the previous release at boot; the new package waits on the data disk.
    await phases.run('data disk with both packages', () => buildDataDisk({ deb: previous, actions: ADMIN_ACTIONS, enable: [], files: { 'upgrade.deb': deb } }, runDir, dataDisk));
    guest = await bootGuest(image, dataDisk, runDir, ['probe']);
    process.stdout.write(`e2e upgrade: ${release.tag} (${release.commit.slice(0, 12)}) to ${version}, booting with ${guest.accel}; console in ${join(runDir, 'console.log')}\n`);
    const probePort = new SocketPort(guest.sockets.probe, 'probe socket');
    await probePort.open();
    ports.push(probePort);
    probe = new LineChannel(probePort, () => guest.consoleTail());
    questions = new ProbeQuestions(probePort, probe);
    await phases.run(`boot (${guest.accel})`, () => probe.next(/^probe /, BOOT_MS));
    const install = await phases.run(`dpkg -i ${release.tag}`, () => probe.next(/^install (-?\d+)$/, STEP_MS));
    if (install[1] !== '0') throw new Error(`dpkg -i of ${release.tag} failed:\n${probe.lines.filter((l) => l.startsWith('dpkg: ')).join('\n')}`);
    await questions.output('ln', '-s', '/dev/null', `/etc/vdagent/actions.d/${MASKED}`);
    const agent = await phases.run('hot-plug the ports: the previous release starts', async () => {
      await guest.plug('spice');
      await guest.plug('qga');
      return probe.next(/^agent (\d+)$/, STEP_MS);
    });
    oldPid = Number(agent[1]);
  });

  afterAll(async () => {
    for (const port of ports) await port.close();
    await guest?.stop();
    process.stdout.write(phases.summary());
  });

  it('runs the previous release with the administrator’s entries; a client exchanges capabilities with it', async () => {
    await phases.run('client connects to the previous release', async () => {
      const port = new SocketPort(guest.sockets.spice, 'spice socket');
      await port.open();
      ports.push(port);
      sim = new ClientSimulator(port);
      sim.connect();
      // The agent's announcement at its start (request=1, which QEMU held for the client) or its answer.
      const announce = await sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: STEP_MS });
      expect([announce.caps.has(Capability.MouseState), announce.caps.has(Capability.GraphicsDeviceInfo)]).toEqual([true, false]);
      // Whatever the client's start-up flow brings has arrived before the upgrade starts.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
    });
    expect(await questions.output('dpkg-query', '--show', '--showformat=${Version}', 'vdagent')).toBe(release.tag.replace(/^v/, ''));
    etcBefore = await questions.output(...ETC_LISTING);
  });

  // The reset a client hears is the new agent's ANNOUNCE_CAPABILITIES with request=1: it knows no
  // client yet and asks for the capabilities (spice-vdagent does the same when restarted).
  it('upgrades with dpkg -i: the client hears one reset, the new agent’s announcement with request=1, answers it, and hears nothing else', async () => {
    const mark = sim.records.length;
    const since = probe.lines.length;
    await phases.run(`dpkg -i ${version} over ${release.tag}`, async () => {
      // Detached from the probe (its questions end after 30 s), as apt runs dpkg.
      await questions.output('systemd-run', '--quiet', '--collect', '--unit=e2e-upgrade', '--', 'sh', '-c', `dpkg -i /run/e2e/upgrade.deb > ${UPGRADE_LOG} 2>&1; echo $? > ${UPGRADE_STATUS}`);
      let status: string | undefined;
      while (status === undefined) {
        const done = await questions.run('cat', UPGRADE_STATUS);
        if (done.status === 0) status = done.stdout.trim();
        else await new Promise((r) => setTimeout(r, 1000));
      }
      if (status !== '0') throw new Error(`dpkg -i of ${version} exited with ${status}:\n${await questions.text(UPGRADE_LOG)}`);
    });
    const announce = await phases.run('the new agent announces', () => sim.expect(MessageType.AnnounceCapabilities, { where: (m) => m.request, timeoutMs: STEP_MS }));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(sim.records.slice(mark).map(summary)).toEqual(['agent AnnounceCapabilities request=1', 'client AnnounceCapabilities request=0']);
    expect([announce.caps.has(Capability.MouseState), announce.caps.has(Capability.GraphicsDeviceInfo)]).toEqual([true, false]);
    const agents = probe.lines.slice(since).filter((l) => /^agent \d+$/.test(l));
    expect(agents.length).toBeGreaterThan(0);
    expect(agents.map((l) => Number(l.split(' ')[1]))).not.toContain(oldPid);
    expect(await questions.output('dpkg-query', '--show', '--showformat=${Version}', 'vdagent')).toBe(version);
  });

  it('keeps /etc/vdagent/actions.d byte for byte', async () => {
    expect(await questions.output(...ETC_LISTING)).toBe(etcBefore);
    for (const [name, text] of Object.entries(ADMIN_ACTIONS)) expect((await questions.read(`/etc/vdagent/actions.d/${name}`)).toString()).toBe(text);
  });

  it('still takes every option the previous release’s vdagent --help documents, and reads its actions.d format', async () => {
    const help = await questions.output('/usr/bin/vdagent', '--help');
    const options = await previousOptions();
    expect(options.length).toBeGreaterThan(10);
    expect(options.filter((o) => !help.includes(o))).toEqual([]);
    const actions = await questions.output('/usr/bin/vdagent', 'actions');
    expect(actions).toMatch(new RegExp(`^${MASKED} +masked +/etc/vdagent/actions\\.d/${MASKED} -> /dev/null`, 'm'));
    expect(actions).toMatch(/^mouse +on +\/etc\/vdagent\/actions\.d\/mouse \(overrides \/usr\/lib\/vdagent\/actions\.d\/mouse\)/m);
    expect(actions).toMatch(/^exec +on +\/etc\/vdagent\/actions\.d\/exec$/m);
  });

  it('serves the administrator’s exec entry on the guest-agent port: the allowed program, with the allowed variable', async () => {
    await phases.run('guest-exec after the upgrade', async () => {
      const port = new SocketPort(guest.sockets.qga, 'qga socket');
      await port.open();
      ports.push(port);
      const qga = new QgaClient(port);
      await qga.sync(STEP_MS);
      const { pid } = (await qga.execute('guest-exec', { path: '/usr/bin/echo', arg: ['upgraded'], env: ['TZ=UTC'], 'capture-output': true })) as { pid: number };
      let status: { exited: boolean; exitcode?: number; 'out-data'?: string };
      do status = (await qga.execute('guest-exec-status', { pid })) as typeof status;
      while (!status.exited);
      expect([status.exitcode, Buffer.from(status['out-data'] ?? '', 'base64').toString()]).toEqual([0, 'upgraded\n']);
    });
  });
});
