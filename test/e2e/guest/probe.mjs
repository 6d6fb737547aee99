// The guest half of the end-to-end test, started at boot by vdagent-e2e-probe.service from the
// data disk mounted at /run/e2e. It installs the package as an administrator would and reports,
// one line each, on its own virtio-serial port org.vdagent.e2e.0:
//   probe UPTIME                 started (again after each reboot)
//   install STATUS               dpkg -i finished (its output follows as "dpkg: ..." lines on failure)
//   install kept                 the package was already installed (a reboot)
//   enabled STATE                systemctl is-enabled vdagent
//   unit KEY=VALUE               the unit's limits and restart policy as systemd reads them
//   agent PID|none               the vdagent daemon process, whenever it changes
//   input EVENTN NAME            a new virtual input device (uinput)
//   event EVENTN TYPE CODE VALUE an input event from it (EV_SYN left out)
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const REPORT = '/dev/virtio-ports/org.vdagent.e2e.0';
const DATA = '/run/e2e';
const ACTIONS = '/etc/vdagent/actions.d';
const AVAILABLE = '/usr/share/vdagent/actions.available';
const INPUT_EVENT_SIZE = 24; // struct input_event on 64-bit: timeval (16), type, code, value
const EV_SYN = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function openReport() {
  for (let i = 0; !fs.existsSync(REPORT); i++) {
    if (i > 600) throw new Error(`${REPORT} never appeared`);
    await sleep(100);
  }
  return fs.createWriteStream(REPORT, { flags: 'w' });
}

const report = await openReport();
const say = (line) => report.write(`${line}\n`);

function runCommand(file, args) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ status: -1, output: String(err) }));
    child.on('close', (status) => resolve({ status, output }));
  });
}

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
const installed = await runCommand('dpkg-query', ['--show', '--showformat=${Status}', 'vdagent']);
if (installed.output === 'install ok installed') {
  say('install kept');
} else {
  fs.mkdirSync(ACTIONS, { recursive: true, mode: 0o755 });
  for (const name of fs.readdirSync(`${DATA}/actions.d`)) {
    fs.copyFileSync(`${DATA}/actions.d/${name}`, `${ACTIONS}/${name}`);
    fs.chmodSync(`${ACTIONS}/${name}`, 0o644);
  }
  const install = await runCommand('dpkg', ['-i', `${DATA}/vdagent.deb`]);
  for (const name of fs.readFileSync(`${DATA}/enable`, 'utf8').split('\n').filter(Boolean)) {
    fs.symlinkSync(`${AVAILABLE}/${name}`, `${ACTIONS}/${name}`);
  }
  say(`install ${install.status}`);
  if (install.status !== 0) for (const line of install.output.split('\n')) say(`dpkg: ${line}`);
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
