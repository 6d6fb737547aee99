// The guest half of the end-to-end test, started at boot by vdagent-e2e-probe.service from the
// data disk mounted at /run/e2e. It installs the package as an administrator would and reports,
// one line each, on its own virtio-serial port org.vdagent.e2e.0:
//   probe UPTIME                 started (again after each reboot)
//   user NAME STATUS             useradd of an account listed in "users" finished
//   login NAME                   that account was logged in on a terminal (listed in "logins")
//   missing NAME                 an admin action listed in "enable" that the package does not ship
//   install STATUS               dpkg -i finished (its output follows as "dpkg: ..." lines on failure)
//   install kept                 the package was already installed (a reboot)
//   profile NAME STATUS          `vdagent profile NAME --apply` finished (listed in "profile"; its
//                                output comes first as "profile: ..." lines), the unit restarted
//   enabled STATE                systemctl is-enabled vdagent
//   unit KEY=VALUE               the unit's limits and restart policy as systemd reads them
//   agent PID|none               the vdagent daemon process, whenever it changes
//   input EVENTN NAME            a new virtual input device (uinput)
//   event EVENTN TYPE CODE VALUE an input event from it (EV_SYN left out)
// The host may ask for the guest's real state at any time by writing a line
//   ask ID VERB JSON             VERB is read, stat, statfs, run, writable, net, or raw-open,
//                                raw-write, raw-read, raw-close to play the agent on a port itself
//                                (one at a time; see ANSWERS)
// which the probe answers with
//   answer ID JSON               the result, or {"error": "..."}
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

// Reading the port blocks a thread of libuv's pool, and so does each input device's reader.
process.env.UV_THREADPOOL_SIZE = '16';

const REPORT = '/dev/virtio-ports/org.vdagent.e2e.0';
const DATA = '/run/e2e';
const ACTIONS = '/etc/vdagent/actions.d';
const AVAILABLE = '/usr/share/vdagent/actions.available';
const UNIT_DROP_INS = '/etc/systemd/system/vdagent.service.d';
/** How long a write may take before the file system counts as frozen. */
const FROZEN_MS = 3000;
const INPUT_EVENT_SIZE = 24; // struct input_event on 64-bit: timeval (16), type, code, value
const EV_SYN = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The port, open for reading and writing (a virtio-serial port takes one open at a time). */
async function openPort() {
  for (let i = 0; !fs.existsSync(REPORT); i++) {
    if (i > 600) throw new Error(`${REPORT} never appeared`);
    await sleep(100);
  }
  return fs.openSync(REPORT, 'r+');
}

const port = await openPort();
const report = fs.createWriteStream(REPORT, { fd: port, autoClose: false });
const say = (line) => report.write(`${line}\n`);

function runCommand(file, args, timeoutMs = 0) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: timeoutMs });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ status: -1, output: String(err), stdout }));
    child.on('close', (status) => resolve({ status, output, stdout }));
  });
}

/** Whether a write to the file system holding `path` ends within FROZEN_MS (it waits while frozen). */
function writable(path) {
  return new Promise((resolve) => {
    // Not killed on time: a writer waiting on a frozen file system cannot be; it ends at the thaw.
    const child = spawn('/usr/bin/touch', [path], { stdio: 'ignore' });
    const timer = setTimeout(() => resolve(false), FROZEN_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve(status === 0);
    });
  });
}

/** Each interface: its name, MAC address and IP addresses. */
function interfaces() {
  const addresses = os.networkInterfaces();
  return fs.readdirSync('/sys/class/net').map((name) => ({
    name,
    mac: fs.readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim(),
    addresses: (addresses[name] ?? []).map((a) => ({ address: a.address, family: a.family, prefix: Number(a.cidr?.split('/')[1]) })),
  }));
}

/** The port the host talks on through the probe (raw-*), while the agent is stopped. */
const raw = { fd: undefined };

/** Writes all of `bytes` to the non-blocking raw port, waiting while the host does not take them. */
async function rawWrite(bytes) {
  for (let off = 0, tries = 0; off < bytes.length; ) {
    try {
      off += fs.writeSync(raw.fd, bytes, off);
    } catch (err) {
      if (err.code !== 'EAGAIN' || ++tries > 100) throw err;
      await sleep(50);
    }
  }
  return {};
}

/**
 * Everything the host writes to the raw port within `ms`, and whether the host side was absent at
 * the end (a read returns 0 bytes then; EAGAIN while it is there with nothing to say).
 */
async function rawRead(ms) {
  const parts = [];
  const buffer = Buffer.alloc(65536);
  let hostAbsent = false;
  for (const end = Date.now() + ms; Date.now() < end; ) {
    let n = -1;
    try {
      n = fs.readSync(raw.fd, buffer, 0, buffer.length, null);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
    hostAbsent = n === 0;
    if (n > 0) parts.push(Buffer.from(buffer.subarray(0, n)));
    else await sleep(20);
  }
  return { base64: Buffer.concat(parts).toString('base64'), hostAbsent };
}

/** What the host may ask: the guest's real state, read at the moment it asks. */
const ANSWERS = {
  'raw-open': ({ path }) => {
    raw.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    return {};
  },
  'raw-write': ({ base64 }) => rawWrite(Buffer.from(base64, 'base64')),
  'raw-read': ({ ms }) => rawRead(ms),
  'raw-close': () => {
    fs.closeSync(raw.fd);
    raw.fd = undefined;
    return {};
  },
  read: ({ path }) => ({ base64: fs.readFileSync(path).toString('base64') }),
  stat: ({ path }) => {
    const st = fs.statSync(path);
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, size: st.size };
  },
  statfs: ({ path }) => {
    const st = fs.statfsSync(path);
    return { bsize: st.bsize, blocks: st.blocks, bfree: st.bfree, bavail: st.bavail };
  },
  run: ({ argv }) => runCommand(argv[0], argv.slice(1), 30_000),
  writable: async ({ path }) => ({ writable: await writable(path) }),
  net: () => ({ interfaces: interfaces() }),
};

async function answer(line) {
  const m = /^ask (\d+) ([\w-]+) (.*)$/.exec(line);
  if (!m) return;
  const [, id, verb, args] = m;
  let result;
  try {
    const handler = ANSWERS[verb];
    if (!handler) throw new Error(`unknown question ${verb}`);
    result = await handler(JSON.parse(args));
  } catch (err) {
    result = { error: String(err) };
  }
  say(`answer ${id} ${JSON.stringify(result)}`);
}

/** Reads the host's questions; a read returns nothing while no host is connected, so it polls then. */
function listen() {
  const buffer = Buffer.alloc(4096);
  let partial = '';
  const next = () =>
    fs.read(port, buffer, 0, buffer.length, null, (err, n) => {
      if (err || n === 0) return setTimeout(next, 200);
      const lines = (partial + buffer.toString('utf8', 0, n)).split('\n');
      partial = lines.pop();
      for (const line of lines) void answer(line);
      next();
    });
  next();
}

/** The data disk's list `name`, one entry a line. */
const listed = (name) => (fs.existsSync(`${DATA}/${name}`) ? fs.readFileSync(`${DATA}/${name}`, 'utf8').split('\n').filter(Boolean) : []);

/** The pid of `vdagent daemon`, or undefined. */
function agentPid() {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('/dist/cli.js')) && argv.includes('daemon')) return Number(name);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

const watched = new Set();

/** Reports each new virtual input device and the events it produces. */
function watchInputs() {
  let names = [];
  try {
    names = fs.readdirSync('/sys/class/input').filter((n) => n.startsWith('event'));
  } catch {
    return;
  }
  for (const event of names) {
    if (watched.has(event)) continue;
    let device;
    try {
      device = fs.realpathSync(`/sys/class/input/${event}`);
    } catch {
      continue;
    }
    if (!device.includes('/devices/virtual/')) continue;
    watched.add(event);
    const name = fs.readFileSync(`/sys/class/input/${event}/device/name`, 'utf8').trim();
    say(`input ${event} ${name}`);
    const stream = fs.createReadStream(`/dev/input/${event}`, { highWaterMark: INPUT_EVENT_SIZE * 64 });
    let rest = Buffer.alloc(0);
    stream.on('data', (chunk) => {
      rest = Buffer.concat([rest, chunk]);
      while (rest.length >= INPUT_EVENT_SIZE) {
        const type = rest.readUInt16LE(16);
        if (type !== EV_SYN) say(`event ${event} ${type} ${rest.readUInt16LE(18)} ${rest.readInt32LE(20)}`);
        rest = rest.subarray(INPUT_EVENT_SIZE);
      }
    });
    stream.on('error', () => watched.delete(event));
  }
}

say(`probe ${fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]}`);
listen();
const installed = await runCommand('dpkg-query', ['--show', '--showformat=${Status}', 'vdagent']);
if (installed.output === 'install ok installed') {
  say('install kept');
} else {
  for (const name of listed('users')) say(`user ${name} ${(await runCommand('useradd', ['--create-home', '--shell', '/bin/bash', name])).status}`);
  fs.mkdirSync(ACTIONS, { recursive: true, mode: 0o755 });
  for (const name of fs.readdirSync(`${DATA}/actions.d`)) {
    fs.copyFileSync(`${DATA}/actions.d/${name}`, `${ACTIONS}/${name}`);
    fs.chmodSync(`${ACTIONS}/${name}`, 0o644);
  }
  // A drop-in for the agent's unit ("vdagent.service.conf" among the data disk's files), in place
  // before the package starts the agent, so the test needs no restart.
  if (fs.existsSync(`${DATA}/vdagent.service.conf`)) {
    fs.mkdirSync(UNIT_DROP_INS, { recursive: true, mode: 0o755 });
    fs.copyFileSync(`${DATA}/vdagent.service.conf`, `${UNIT_DROP_INS}/e2e.conf`);
    fs.chmodSync(`${UNIT_DROP_INS}/e2e.conf`, 0o644);
  }
  const install = await runCommand('dpkg', ['-i', `${DATA}/vdagent.deb`]);
  for (const name of listed('enable')) {
    if (fs.existsSync(`${AVAILABLE}/${name}`)) fs.symlinkSync(`${AVAILABLE}/${name}`, `${ACTIONS}/${name}`);
    else say(`missing ${name}`);
  }
  say(`install ${install.status}`);
  if (install.status !== 0) for (const line of install.output.split('\n')) say(`dpkg: ${line}`);
  // A profile, applied as vdagent-actions.d(5) tells the administrator: links, drop-in, restart.
  for (const name of listed('profile')) {
    const applied = await runCommand('/usr/bin/vdagent', ['profile', name, '--apply']);
    for (const line of applied.output.split('\n').filter(Boolean)) say(`profile: ${line}`);
    await runCommand('systemctl', ['daemon-reload']);
    await runCommand('systemctl', ['try-restart', 'vdagent.service']);
    say(`profile ${name} ${applied.status}`);
  }
}
// A login on a terminal, as a person at the console: pam_systemd opens a logind session (and login
// writes utmp where the system still keeps one).
// login is exec'd so that it leads the terminal's foreground process group (a child of script's
// shell would be stopped when it sets the terminal up). Its input stays open (a pipe nobody
// writes to), so the shell waits and the session lasts.
for (const name of listed('logins')) {
  spawn('/usr/bin/script', ['--quiet', '--flush', '--command', `exec /usr/bin/login -f ${name}`, '/dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
  say(`login ${name}`);
}
say(`enabled ${(await runCommand('systemctl', ['is-enabled', 'vdagent.service'])).output.trim()}`);
const LIMITS = ['MemoryMax', 'OOMPolicy', 'TasksMax', 'LimitNOFILE', 'Restart', 'StartLimitIntervalUSec', 'RestartSteps'];
const shown = await runCommand('systemctl', ['show', 'vdagent.service', ...LIMITS.flatMap((p) => ['-p', p])]);
for (const line of shown.output.split('\n').filter(Boolean)) say(`unit ${line}`);

let lastPid;
for (;;) {
  const pid = agentPid() ?? 'none';
  if (pid !== lastPid) say(`agent ${pid}`);
  lastPid = pid;
  watchInputs();
  await sleep(250);
}
