import { DEFAULT_ACTIONS_DIRS, loadActions, type ActionSet } from '../actions/actions-d.js';
import { watchDirectories, watchedDirectories } from '../actions/watch.js';
import { Daemon } from '../daemon/spice-daemon.js';
import { DesktopState } from '../desktop/state.js';
import { lateWriter } from '../log/late-writer.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { QgaDaemon } from '../daemon/qga-daemon.js';
import { SESSION_SPECS, sessionBridgeFor } from '../session/select.js';
import { formatVersion, installedVersion } from '../session/version.js';
import { findVirtioPort, QGA_PORT_NAME, SPICE_PORT_NAME, waitForVirtioPort } from '../transport/discovery.js';
import { openPortFor } from '../transport/open-port.js';
import { keepInheritedDescriptors } from '../platform/process/inherited-descriptors.js';


/** Options of `vdagent daemon`. */
export interface DaemonOptions {
  port: string;
  qgaPort: string;
  /** The guest agent's state directory (frozen state, file handles). */
  stateDir: string;
  actionsDirs: string[];
  fakeUinput?: string;
  session: string;
  debug: boolean;
  maxMessageSize?: number;
}

/** How long, at most, what the first announcement does not need waits for it. */
const START_UP_MS = 1000;

/**
 * Resolves a port option: a path as given, or for `auto` the virtio-serial port of that name,
 * waiting (inotify, no polling) until it appears, after calling `waits`; undefined when `signal`
 * aborts first.
 */
async function resolvePort(spec: string, name: string, log: Logger, signal: AbortSignal, waits = (): void => {}): Promise<string | undefined> {
  if (spec !== 'auto') return spec;
  const found = await findVirtioPort(name);
  if (found) return found;
  log.info(`no virtio-serial port named ${name} yet; waiting for it`);
  waits();
  return waitForVirtioPort(name, { signal });
}

/**
 * Runs the daemon until SIGTERM or SIGINT; SIGHUP and changes in actions.d reload it. The SPICE
 * agent and the QEMU guest agent each start when their port exists, so a guest with only one of
 * the two ports (libvirt's default has no SPICE port) is served, and a port plugged later is too.
 * What the SPICE agent's first announcement does not need (winston, the guest agent) loads once
 * it is out, once there is no SPICE port to wait for, or a second after the start: the host sees
 * the agent sooner.
 */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  keepInheritedDescriptors();
  // What this daemon is, read once now: an upgrade may replace the files while it runs.
  const version = installedVersion();
  const logWriter = lateWriter();
  const log = createLogger({ debug: opts.debug, writer: logWriter.writer });
  let startedUp = (): void => {};
  const afterStartUp = new Promise<void>((resolve) => (startedUp = resolve));
  // A SPICE side slow to start (a module waiting for its device) does not hold the rest up for long.
  const latest = setTimeout(startedUp, START_UP_MS).unref();
  void afterStartUp.then(() => clearTimeout(latest));
  void afterStartUp
    .then(() => import('../log/winston-writer.js'))
    .then(({ winstonWriter }) => logWriter.use(winstonWriter))
    .catch((err: unknown) => log.error(`winston did not load (${String(err)}); logging without it`));
  const dirs = opts.actionsDirs.length > 0 ? opts.actionsDirs : DEFAULT_ACTIONS_DIRS;
  const load = (): ActionSet => loadActions(dirs, { log });
  const spec = SESSION_SPECS.find((s) => s === opts.session);
  if (!spec) {
    log.error(`--session ${opts.session}: expected ${SESSION_SPECS.join(', ')}`);
    return 2;
  }
  let actions = load();
  log.info(`vdagent daemon ${formatVersion(version)}, actions.d: ${dirs.join(', ')}`);
  const waiting = new AbortController();
  let daemon: Daemon | undefined;
  let qgaDaemon: QgaDaemon | undefined;

  const spice = resolvePort(opts.port, SPICE_PORT_NAME, log, waiting.signal, startedUp).then(async (path) => {
    if (!path) return;
    const desktop = new DesktopState();
    const session = await sessionBridgeFor(spec, process.argv[1] ?? '', log, desktop, version);
    daemon = new Daemon({ port: openPortFor(path, { lendReads: true }), log, actions, desktop, options: { fakeUinput: opts.fakeUinput }, maxMessageSize: opts.maxMessageSize, session });
    log.info(`SPICE agent on ${path}`);
    await daemon.start();
  }).catch((err: unknown) => log.error(`the SPICE agent did not start: ${String(err)}`)).finally(startedUp);
  const qga =
    opts.qgaPort === 'none'
      ? Promise.resolve()
      : resolvePort(opts.qgaPort, QGA_PORT_NAME, log, waiting.signal).then(async (path) => {
          await afterStartUp;
          // Not once told to stop (the stop waits for this start, then stops what it started).
          if (!path || waiting.signal.aborted) return;
          const [{ AdminCommands }, { QgaDaemon }] = await Promise.all([import('../actions/admin/commands.js'), import('../daemon/qga-daemon.js')]);
          const commands = new AdminCommands({ log, actions, stateDir: opts.stateDir });
          qgaDaemon = new QgaDaemon({ port: openPortFor(path), log, commands });
          log.info(`QEMU guest agent on ${path}`);
          qgaDaemon.start();
        }).catch((err: unknown) => log.error(`the QEMU guest agent did not start: ${String(err)}`));

  let reloading = Promise.resolve();
  let watcher = { close(): void {} };
  // Watches the actions.d directories and those the current entries link through; the new
  // watcher starts before the old one stops, so no change falls between them.
  const follow = (): void => {
    const previous = watcher;
    watcher = watchDirectories(watchedDirectories(dirs, actions), () => reload('actions.d changed'));
    previous.close();
  };
  const reload = (why: string): void => {
    reloading = reloading.then(async () => {
      log.info(`${why}: reloading actions.d`);
      // Directories created since the last load are watched before they are read...
      follow();
      actions = load();
      // ...and those the new entries link through from now on.
      follow();
      await daemon?.reload(actions);
      qgaDaemon?.reload(actions);
    });
  };
  follow();
  process.on('SIGHUP', () => reload('SIGHUP'));
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log.info(`${sig}: stopping`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  waiting.abort();
  await Promise.allSettled([spice, qga]);
  watcher.close();
  await reloading;
  await qgaDaemon?.stop();
  await daemon?.stop();
  return 0;
}
