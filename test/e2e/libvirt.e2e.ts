import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE_DIRS, readProfile } from '../../src/commands/profile-plan.js';
import { ROOT } from '../support/harness.js';
import { cacheRoot, freshRunDir } from './support/cache.js';
import { buildDataDisk } from './support/data-disk.js';
import { crypt, sshKey } from './support/credentials.js';
import { eventually } from './support/eventually.js';
import { run } from './support/exec.js';
import { guestImage } from './support/guest-image.js';
import { addressRows, authorizedKeys, guestFilesystems, guestSeconds, ids, shadowHash } from './support/guest-state.js';
import { domainXml } from './support/libvirt-domain.js';
import { LIBVIRT_ACTIONS } from './support/libvirt-profile.js';
import { startLibvirtd, type Libvirtd } from './support/libvirt.js';
import { LineChannel } from './support/line-channel.js';
import { packagePath } from './support/package.js';
import { Phases } from './support/phases.js';
import { ProbeQuestions } from './support/probe-questions.js';
import { SocketPort } from './support/socket-port.js';
import { keyValues, rows } from './support/virsh-text.js';

/** Generous limits: under TCG on two cores the guest boots in a minute or two. */
const BOOT_MS = 600_000;
const STEP_MS = 120_000;
/** The domain's name. */
const DOMAIN = 'vdagent-e2e';
/** The account the host manages through the agent (passwords, SSH keys), logged in on a terminal. */
const USER = 'ann';
/** A file on the root file system the probe writes to tell whether it is frozen. */
const WRITE_CHECK = '/var/tmp/e2e-write-check';

const phases = new Phases();
let runDir: string;
let overlay: string;
let libvirtd: Libvirtd;
let probePort: SocketPort;
let probe: LineChannel;
let guest: ProbeQuestions;

/** virsh on the test's daemon; the command and what it printed go to the test's output, for the record. */
async function virsh(...args: string[]): Promise<string> {
  const out = await libvirtd.virsh(...args);
  const shown = out.trimEnd().split('\n').map((l) => `    ${l}`);
  process.stdout.write(`e2e $ virsh ${args.map((a) => (/[\s{}"$]/.test(a) ? `'${a}'` : a)).join(' ')}\n${shown.join('\n')}\n`);
  return out;
}

/** An agent command through libvirt, as virsh qemu-agent-command prints its answer. */
async function agentCommand(execute: string, args?: Record<string, unknown>): Promise<unknown> {
  const out = await libvirtd.virsh('qemu-agent-command', DOMAIN, JSON.stringify(args ? { execute, arguments: args } : { execute }));
  return (JSON.parse(out) as { return: unknown }).return;
}

/** Writes keys to a file for virsh --file, one a line with the newline after the last, as an editor leaves it. */
function keyFile(name: string, keys: readonly string[]): string {
  const path = join(runDir, name);
  writeFileSync(path, keys.map((k) => `${k}\n`).join(''));
  return path;
}

describe('Debian’s libvirt 9.0 drives the packaged agent in a TCG guest', () => {
  beforeAll(async () => {
    const deb = await packagePath();
    const cache = cacheRoot();
    runDir = freshRunDir(cache, 'libvirt-run');
    const image = await guestImage(cache, phases);
    process.stdout.write(`e2e libvirt guest: ${Object.values(image.versions).join(', ')}\n`);
    const dataDisk = join(runDir, 'data.img');
    // The admin actions and their sandbox rights come from the shipped profile, applied in the guest.
    expect([...readProfile({ ...DEFAULT_PROFILE_DIRS, profiles: join(ROOT, 'profiles') }, 'libvirt').actions].sort()).toEqual(Object.keys(LIBVIRT_ACTIONS).sort());
    const content = { deb, actions: {}, enable: [], users: [USER], logins: [USER], profile: 'libvirt' };
    await phases.run('data disk with the package', () => buildDataDisk(content, runDir, dataDisk));
    libvirtd = await phases.run('start libvirtd', () => startLibvirtd(join(runDir, 'libvirt')));
    process.stdout.write(`e2e libvirt: ${(await virsh('version')).trim().replace(/\n/g, '; ')}\n`);
    overlay = join(runDir, 'root.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', image.rootfs, overlay]);
    const consoleLog = join(runDir, 'console.log');
    const probeSocket = join(runDir, 'probe.sock');
    const xml = join(runDir, 'domain.xml');
    writeFileSync(xml, domainXml({ name: DOMAIN, image, overlay, dataDisk, console: consoleLog, probeSocket }));
    await virsh('define', xml);
    await phases.run('virsh start', () => virsh('start', DOMAIN));
    // Under TCG an agent command can take seconds; libvirt's default would give up after 5.
    await virsh('guest-agent-timeout', DOMAIN, '--timeout', '120');
    probePort = new SocketPort(probeSocket, 'probe socket');
    await probePort.open();
    probe = new LineChannel(probePort, () => `--- console: ${consoleLog}; libvirtd ---\n${libvirtd.log().slice(-3000)}`);
    guest = new ProbeQuestions(probePort, probe);
    await phases.run('boot (libvirt, tcg)', () => probe.next(/^probe /, BOOT_MS));
    const install = await phases.run('dpkg -i in the guest', () => probe.next(/^install (-?\d+)$/, STEP_MS));
    if (install[1] !== '0') throw new Error(`dpkg -i failed:\n${probe.lines.filter((l) => l.startsWith('dpkg: ')).join('\n')}`);
    const applied = await phases.run('vdagent profile libvirt --apply, restart', () => probe.next(/^profile libvirt (-?\d+)$/, STEP_MS));
    if (applied[1] !== '0') throw new Error(`vdagent profile libvirt --apply failed:\n${probe.lines.filter((l) => l.startsWith('profile: ')).join('\n')}`);
    await phases.run('libvirt reaches the agent', () => eventually(() => agentCommand('guest-ping'), STEP_MS));
    // The agent reads actions.d again when the links appear: wait until it serves what they enable.
    const wanted = Object.values(LIBVIRT_ACTIONS);
    await phases.run('the agent serves the linked actions', () =>
      eventually(async () => {
        const info = (await agentCommand('guest-info')) as { supported_commands: { name: string; enabled: boolean }[] };
        const off = wanted.filter((c) => !info.supported_commands.some((s) => s.name === c && s.enabled));
        if (off.length > 0) throw new Error(`not enabled yet: ${off.join(', ')}`);
      }, STEP_MS),
    );
    // Addresses settle: the DHCP lease is in and nothing changed over 2 s (IPv6 autoconfiguration).
    let seen = '';
    await phases.run('the guest has its DHCP address', () =>
      eventually(async () => {
        const now = await guest.interfaces();
        const previous = seen;
        seen = addressRows(now).join('\n');
        if (!now.some((i) => i.name.startsWith('en') && i.addresses.some((a) => a.family === 'IPv4'))) throw new Error('no IPv4 address yet');
        if (seen !== previous) throw new Error('addresses still changing');
      }, STEP_MS),
    );
  });

  afterAll(async () => {
    await probePort?.close();
    await libvirtd?.stop();
    process.stdout.write(phases.summary());
  });

  it('answers a raw guest-ping through virsh qemu-agent-command', async () => {
    expect(JSON.parse(await virsh('qemu-agent-command', DOMAIN, '{"execute":"guest-ping"}'))).toEqual({ return: {} });
  });

  it('lists the guest’s interfaces and addresses for domifaddr --source agent', async () => {
    const listed = rows(await virsh('domifaddr', DOMAIN, '--source', 'agent', '--full'))
      .map((r) => r.join(' '))
      .sort();
    expect(listed).toEqual(addressRows(await guest.interfaces()));
    expect(listed.some((r) => r.startsWith('lo 00:00:00:00:00:00 ipv4 127.0.0.1/8'))).toBe(true);
  });

  it('reports the logged-in user for guestinfo --user', async () => {
    const info = keyValues(await virsh('guestinfo', DOMAIN, '--user'));
    // Debian 13 keeps no utmp: who asks logind, where the probe's login opened a session.
    const who = [...new Set((await guest.output('/usr/bin/who')).split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]))];
    expect(who).toEqual([USER]);
    expect(info.get('user.count')).toBe('1');
    expect(info.get('user.0.name')).toBe(USER);
    const bootedAt = Date.now() - Number((await guest.text('/proc/uptime')).split(' ')[0]) * 1000;
    const loginMs = Number(info.get('user.0.login-time'));
    expect(loginMs).toBeGreaterThan(bootedAt - 60_000);
    expect(loginMs).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('reports /etc/os-release and uname for guestinfo --os', async () => {
    const info = keyValues(await virsh('guestinfo', DOMAIN, '--os'));
    const release = new Map(
      (await guest.text('/etc/os-release'))
        .split('\n')
        .map((l) => /^(\w+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1] ?? '', (m[2] ?? '').replace(/^"(.*)"$/, '$1')]),
    );
    expect(info.get('os.id')).toBe(release.get('ID'));
    expect(info.get('os.name')).toBe(release.get('NAME'));
    expect(info.get('os.pretty-name')).toBe(release.get('PRETTY_NAME'));
    expect(info.get('os.version')).toBe(release.get('VERSION'));
    expect(info.get('os.version-id')).toBe(release.get('VERSION_ID'));
    expect(info.get('os.kernel-release')).toBe((await guest.output('/usr/bin/uname', '-r')).trim());
    expect(info.get('os.kernel-version')).toBe((await guest.output('/usr/bin/uname', '-v')).trim());
    expect(info.get('os.machine')).toBe((await guest.output('/usr/bin/uname', '-m')).trim());
  });

  it('reports the zone and offset for guestinfo --timezone and the name for --hostname', async () => {
    const zone = keyValues(await virsh('guestinfo', DOMAIN, '--timezone'));
    const [name, offset] = (await guest.output('/usr/bin/date', '+%Z %z')).trim().split(' ');
    const sign = offset?.startsWith('-') ? -1 : 1;
    const seconds = sign * (Number(offset?.slice(1, 3)) * 3600 + Number(offset?.slice(3, 5)) * 60);
    expect(zone.get('timezone.name')).toBe(name);
    expect(zone.get('timezone.offset')).toBe(String(seconds));
    const host = keyValues(await virsh('guestinfo', DOMAIN, '--hostname'));
    expect(host.get('hostname')).toBe((await guest.text('/proc/sys/kernel/hostname')).trim());
  });

  it('reports each mounted file system with its size and disk for guestinfo --filesystem', async () => {
    const info = keyValues(await virsh('guestinfo', DOMAIN, '--filesystem'));
    const mounted = await guestFilesystems(guest);
    expect(info.get('fs.count')).toBe(String(mounted.length));
    for (let i = 0; i < mounted.length; i++) {
      const fs = mounted.find((m) => m.mountpoint === info.get(`fs.${i}.mountpoint`));
      expect(fs, `fs.${i}.mountpoint ${info.get(`fs.${i}.mountpoint`)}`).toBeDefined();
      expect(info.get(`fs.${i}.name`)).toBe(fs?.name);
      expect(info.get(`fs.${i}.fstype`)).toBe(fs?.type);
      expect(info.get(`fs.${i}.disk.0.alias`)).toBe(fs?.name);
      const st = await guest.statfs(fs?.mountpoint ?? '/');
      // What df shows as Size: the blocks not reserved for root.
      expect(Number(info.get(`fs.${i}.total-bytes`))).toBe((st.blocks - st.bfree + st.bavail) * st.bsize);
      expect(Math.abs(Number(info.get(`fs.${i}.used-bytes`)) - (st.blocks - st.bfree) * st.bsize)).toBeLessThan(16 * 2 ** 20);
    }
  });

  it('reports the guest’s disks for guestinfo --disk', async () => {
    const info = keyValues(await virsh('guestinfo', DOMAIN, '--disk'));
    const disks = (await guest.output('/usr/bin/ls', '/sys/block')).split(/\s+/).filter((d) => d.startsWith('vd'));
    expect(info.get('disk.count')).toBe(String(disks.length));
    const names = [...Array(disks.length).keys()].map((i) => info.get(`disk.${i}.name`)).sort();
    expect(names).toEqual(disks.map((d) => `/dev/${d}`).sort());
    for (let i = 0; i < disks.length; i++) {
      expect(info.get(`disk.${i}.partition`)).toBe('no');
      expect(info.get(`disk.${i}.alias`)).toBe(info.get(`disk.${i}.name`)?.replace('/dev/', ''));
    }
  });

  it('reports the interfaces for guestinfo --interface', async () => {
    const info = keyValues(await virsh('guestinfo', DOMAIN, '--interface'));
    const listed: string[] = [];
    for (let i = 0; i < Number(info.get('if.count')); i++) {
      for (let a = 0; a < Number(info.get(`if.${i}.addr.count`)); a++) {
        const at = `if.${i}.addr.${a}`;
        listed.push(`${info.get(`if.${i}.name`)} ${info.get(`if.${i}.hwaddr`)} ${info.get(`${at}.type`)} ${info.get(`${at}.addr`)}/${info.get(`${at}.prefix`)}`);
      }
    }
    expect(listed.sort()).toEqual(addressRows(await guest.interfaces()));
  });

  it('maps each file system to the domain’s disk target for domfsinfo', async () => {
    const listed = rows(await virsh('domfsinfo', DOMAIN)).map((r) => r.join(' '));
    const mounted = await guestFilesystems(guest);
    expect(listed.sort()).toEqual(mounted.map((m) => `${m.mountpoint} ${m.name} ${m.type} ${m.name}`).sort());
    expect(listed).toContain('/ vda ext4 vda');
  });

  it('reads and sets the guest clock and RTC for domtime, --time, --sync and --now', async () => {
    const read = Number(/Time: (\d+)/.exec(await virsh('domtime', DOMAIN))?.[1]);
    expect(Math.abs(read - (await guestSeconds(guest)))).toBeLessThan(10);
    expect(Math.abs(read - Date.now() / 1000)).toBeLessThan(10);

    const ahead = Math.floor(Date.now() / 1000) + 3 * 3600;
    await virsh('domtime', DOMAIN, '--time', String(ahead));
    expect(Math.abs((await guestSeconds(guest)) - ahead)).toBeLessThan(10);
    const rtc = Number(await guest.text('/sys/class/rtc/rtc0/since_epoch'));
    expect(Math.abs(rtc - ahead)).toBeLessThan(10);

    // Move the system clock away in the guest; --sync sets it back from the RTC.
    await guest.output('/usr/bin/date', '--set', `@${ahead - 86_400}`);
    await virsh('domtime', DOMAIN, '--sync');
    expect(Math.abs((await guestSeconds(guest)) - ahead)).toBeLessThan(30);

    await virsh('domtime', DOMAIN, '--now');
    expect(Math.abs((await guestSeconds(guest)) - Date.now() / 1000)).toBeLessThan(10);
    expect(Math.abs(Number(await guest.text('/sys/class/rtc/rtc0/since_epoch')) - Date.now() / 1000)).toBeLessThan(10);
  });

  it('sets a user’s password for set-user-password, plain and already encrypted', async () => {
    const password = 'correct horse battery staple';
    await virsh('set-user-password', DOMAIN, USER, password);
    const hash = await shadowHash(guest, USER);
    expect(hash).toMatch(/^\$/);
    expect(await crypt(password, hash)).toBe(hash);

    const encrypted = await crypt('another one', '$6$e2esalt$');
    await virsh('set-user-password', DOMAIN, USER, encrypted, '--encrypted');
    expect(await shadowHash(guest, USER)).toBe(encrypted);
  });

  it('adds, lists, removes and resets a user’s SSH keys for set-user-sshkeys and get-user-sshkeys', async () => {
    // The keys as virsh lists them, in file order. qemu-ga answers the file's keys last first, and
    // virsh 9.0 prints them in that order with no separator: the text is checked whole against that.
    const listedKeys = async (): Promise<string[]> => {
      const printed = (await virsh('get-user-sshkeys', DOMAIN, USER)).trim();
      const answered = (await agentCommand('guest-ssh-get-authorized-keys', { username: USER })) as { keys: string[] };
      expect(printed).toBe(answered.keys.join(''));
      return [...answered.keys].reverse();
    };
    const [k1, k2, k3] = [sshKey('one@host'), sshKey('two@host'), sshKey('three@host')];
    const owner = await ids(guest, USER);
    await virsh('set-user-sshkeys', DOMAIN, USER, '--file', keyFile('keys-1', [k1, k2]));
    expect(await authorizedKeys(guest, USER)).toEqual({ keys: [k1, k2], file: `${owner} 600`, dir: `${owner} 700` });
    expect(await listedKeys()).toEqual([k1, k2]);

    await virsh('set-user-sshkeys', DOMAIN, USER, '--file', keyFile('keys-2', [k2, k3]));
    expect((await authorizedKeys(guest, USER)).keys).toEqual([k1, k2, k3]);

    await virsh('set-user-sshkeys', DOMAIN, USER, '--remove', '--file', keyFile('keys-3', [k1]));
    expect((await authorizedKeys(guest, USER)).keys).toEqual([k2, k3]);
    expect(await listedKeys()).toEqual([k2, k3]);

    await virsh('set-user-sshkeys', DOMAIN, USER, '--reset', '--file', keyFile('keys-4', [k1]));
    expect((await authorizedKeys(guest, USER)).keys).toEqual([k1]);

    await virsh('set-user-sshkeys', DOMAIN, USER, '--reset');
    expect((await authorizedKeys(guest, USER)).keys).toEqual([]);
    expect(await listedKeys()).toEqual([]);
  });

  it('freezes and thaws the guest’s file systems for domfsfreeze and domfsthaw', async () => {
    const mounted = await guestFilesystems(guest);
    expect(await guest.writable(WRITE_CHECK)).toBe(true);
    let froze = '';
    let frozenWritable: boolean | undefined;
    let status: unknown;
    try {
      froze = await virsh('domfsfreeze', DOMAIN);
      frozenWritable = await guest.writable(WRITE_CHECK);
      status = await agentCommand('guest-fsfreeze-status');
    } finally {
      // Thawed whatever happened: a guest left frozen would hang every later step.
      expect(await virsh('domfsthaw', DOMAIN)).toContain(`Thawed ${mounted.length} filesystem(s)`);
    }
    expect(froze).toContain(`Froze ${mounted.length} filesystem(s)`);
    expect(frozenWritable).toBe(false);
    expect(status).toBe('frozen');
    expect(await guest.writable(WRITE_CHECK)).toBe(true);
    expect(await agentCommand('guest-fsfreeze-status')).toBe('thawed');
  });

  it('discards the free space of the root file system for domfstrim: the host’s overlay shrinks', async () => {
    const allocated = (): number => statSync(overlay).blocks * 512;
    // Give the file system 64 MiB to free: written through to the overlay, then deleted.
    await guest.output('/usr/bin/dd', 'if=/dev/zero', `of=/var/tmp/e2e-trim`, 'bs=1M', 'count=64', 'conv=fsync', 'status=none');
    await guest.output('/usr/bin/rm', '/var/tmp/e2e-trim');
    await guest.output('/usr/bin/sync');
    const before = allocated();
    // libvirt 9.0 refuses --mountpoint ("not supported for now"): it trims every file system.
    await virsh('domfstrim', DOMAIN);
    expect(before - allocated()).toBeGreaterThan(32 * 2 ** 20);
  });

  it('takes a CPU offline and back for guestvcpus --disable and --enable', async () => {
    const online = async (): Promise<string> => (await guest.text('/sys/devices/system/cpu/online')).trim();
    const before = keyValues(await virsh('guestvcpus', DOMAIN));
    expect(before.get('vcpus')).toBe('0-1');
    expect(before.get('online')).toBe(await online());
    await virsh('guestvcpus', DOMAIN, '--cpulist', '1', '--disable');
    expect((await guest.text('/sys/devices/system/cpu/cpu1/online')).trim()).toBe('0');
    expect(keyValues(await virsh('guestvcpus', DOMAIN)).get('online')).toBe('0');
    await virsh('guestvcpus', DOMAIN, '--cpulist', '1', '--enable');
    expect((await guest.text('/sys/devices/system/cpu/cpu1/online')).trim()).toBe('1');
    expect(keyValues(await virsh('guestvcpus', DOMAIN)).get('online')).toBe('0-1');
  });

  it('suspends the guest to RAM for dompmsuspend --target mem, and it serves again after dompmwakeup', async () => {
    const state = async (want: string): Promise<void> =>
      eventually(async () => {
        const now = (await virsh('domstate', DOMAIN)).trim();
        if (now !== want) throw new Error(`domain is ${now}`);
      }, STEP_MS);
    await phases.run('virsh dompmsuspend mem, dompmwakeup', async () => {
      await virsh('dompmsuspend', DOMAIN, '--target', 'mem');
      await state('pmsuspended');
      await virsh('dompmwakeup', DOMAIN);
      await state('running');
      await eventually(() => agentCommand('guest-ping'), STEP_MS);
    });
    // The kernel went through a real suspend and resume.
    expect(await guest.output('/usr/bin/journalctl', '-k', '-g', 'PM: suspend exit', '-o', 'cat')).toContain('PM: suspend exit');
  });

  // After an S3 cycle this guest's ACPI power-off no longer works under TCG (the kernel reaches
  // "reboot: Power down" and panics), while a reset does: so reboot first, then power off.
  it('reboots the guest for reboot --mode agent, and the agent serves again after the boot', async () => {
    await phases.run('virsh reboot --mode agent', async () => {
      const since = probe.lines.length;
      await virsh('reboot', DOMAIN, '--mode', 'agent');
      await probe.find(/^probe /, since, BOOT_MS);
      await probe.find(/^install kept$/, since, STEP_MS);
      await eventually(() => agentCommand('guest-ping'), STEP_MS);
    });
  });

  it('powers the guest off for shutdown --mode agent', async () => {
    await phases.run('virsh shutdown --mode agent', async () => {
      await virsh('shutdown', DOMAIN, '--mode', 'agent');
      await eventually(async () => {
        const state = (await virsh('domstate', DOMAIN)).trim();
        if (state !== 'shut off') throw new Error(`domain is ${state}`);
      }, STEP_MS);
    });
  });
});
