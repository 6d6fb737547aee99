import { BUILTIN_MODULES } from '../actions/registry.js';
import { DEFAULT_ACTIONS_DIRS, readActionEntries } from '../actions/enabled.js';
import type { ActionModule } from '../actions/module.js';
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

/** The enabled built-in modules per actions.d; unknown entries are reported. */
export function enabledModules(dirs: readonly string[], log: Logger): ActionModule[] {
  const entries = readActionEntries(dirs);
  for (const entry of entries.values()) {
    if (!BUILTIN_MODULES.some((d) => d.name === entry.name)) log.warn(`${entry.path}: no built-in module named ${entry.name}; ignored`);
  }
  return BUILTIN_MODULES.filter((d) => entries.get(d.name)?.enabled).map((d) => d.create());
}

/** Runs the daemon until SIGTERM or SIGINT. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const log = createLogger({ debug: opts.debug });
  let path = opts.port;
  if (path === 'auto') {
    const found = await findVirtioPort(SPICE_PORT_NAME);
    if (!found) {
      log.error(`no virtio-serial port named ${SPICE_PORT_NAME}`);
      return 1;
    }
    path = found;
  }
  if (opts.qgaPort !== 'none') log.warn(`--qga-port ${opts.qgaPort}: the QEMU guest-agent port is not served by this version`);
  if (opts.session !== 'none') log.info(`--session ${opts.session}: no session modules in this version`);
  if (opts.fakeUinput) log.info(`--fake-uinput ${opts.fakeUinput}: no mouse module in this version`);
  const dirs = opts.actionsDirs.length > 0 ? opts.actionsDirs : DEFAULT_ACTIONS_DIRS;
  const daemon = new Daemon({ port: openPortFor(path), log, modules: enabledModules(dirs, log), maxMessageSize: opts.maxMessageSize });
  log.info(`vdagent daemon on ${path}, actions.d: ${dirs.join(', ')}`);
  await daemon.start();
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log.info(`${sig}: stopping`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await daemon.stop();
  return 0;
}
