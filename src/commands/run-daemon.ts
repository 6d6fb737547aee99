import { DEFAULT_ACTIONS_DIRS, loadActions, type ActionSet } from '../actions/actions-d.js';
import { watchDirectories } from '../actions/watch.js';
import { Daemon } from '../daemon.js';
import { createLogger, type Logger } from '../log/logger.js';
import { findVirtioPort } from '../transport/discovery.js';
import { openPortFor } from '../transport/open-port.js';

/** The SPICE agent port's virtio-serial name. */
export const SPICE_PORT_NAME = 'com.redhat.spice.0';

/** Options of `vdagent daemon`. */
export interface DaemonOptions {
  port: string;
  qgaPort: string;
  actionsDirs: string[];
  fakeUinput?: string;
  session: string;
  debug: boolean;
  maxMessageSize?: number;
}

/** A service the daemon runs beside the SPICE agent (the QEMU guest agent, the session helper). */
export interface Service {
  /** Applies a reloaded action set. */
  reload(actions: ActionSet): void | Promise<void>;
  /** Stops the service. */
  stop(): Promise<void>;
}

/** Resolves `auto` to the virtio-serial port of that name. */
async function resolvePort(spec: string, name: string, log: Logger): Promise<string | undefined> {
  if (spec !== 'auto') return spec;
  const found = await findVirtioPort(name);
  if (!found) log.error(`no virtio-serial port named ${name}`);
  return found;
}

/** Runs the daemon until SIGTERM or SIGINT; SIGHUP and changes in actions.d reload it. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const log = createLogger({ debug: opts.debug });
  const dirs = opts.actionsDirs.length > 0 ? opts.actionsDirs : DEFAULT_ACTIONS_DIRS;
  const load = (): ActionSet => loadActions(dirs, { log });
  let actions = load();
  const path = await resolvePort(opts.port, SPICE_PORT_NAME, log);
  if (!path) return 1;
  if (opts.session !== 'none') log.info(`--session ${opts.session}: no session modules in this version`);
  const daemon = new Daemon({ port: openPortFor(path), log, actions, options: { fakeUinput: opts.fakeUinput }, maxMessageSize: opts.maxMessageSize });
  const services: Service[] = [];
  if (opts.qgaPort !== 'none') log.warn(`--qga-port ${opts.qgaPort}: the QEMU guest-agent port is not served by this version`);
  log.info(`vdagent daemon on ${path}, actions.d: ${dirs.join(', ')}`);
  await daemon.start();

  let reloading = Promise.resolve();
  let watcher = { close(): void {} };
  const reload = (why: string): void => {
    reloading = reloading.then(async () => {
      log.info(`${why}: reloading actions.d`);
      // Directories created since the last load are watched from now on.
      watcher.close();
      watcher = watchDirectories(dirs, () => reload('actions.d changed'));
      actions = load();
      await daemon.reload(actions);
      for (const s of services) await s.reload(actions);
    });
  };
  watcher = watchDirectories(dirs, () => reload('actions.d changed'));
  process.on('SIGHUP', () => reload('SIGHUP'));
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log.info(`${sig}: stopping`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  watcher.close();
  await reloading;
  for (const s of services) await s.stop();
  await daemon.stop();
  return 0;
}
