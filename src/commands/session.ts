import { once } from 'node:events';
import { fstatSync } from 'node:fs';
import { DesktopState } from '../desktop/state.js';
import { createLogger, type Logger } from '../log/logger.js';
import { BlockPool, TRANSFER_BLOCK } from '../protocol/block-pool.js';
import { CHANNEL_FD, channelOnDescriptor, type FrameChannel, MAX_FRAME } from '../session/channel.js';
import { completeEnvironment } from '../session/environment.js';
import { TRANSFER_BLOCKS_KEPT } from '../session/in-flight.js';
import type { FromHelper, ToHelper } from '../session/ipc.js';
import { loadSessionCode } from '../session/preload.js';
import { dropPrivileges, runsAs, type Identity } from '../session/privileges.js';
import { SessionRunner } from '../session/runner.js';
import { DAEMON_VERSION_ENV, formatVersion, installedVersion, type ProgramVersion } from '../session/version.js';

/** Options of `vdagent session`. */
export interface SessionOptions {
  /** The user to become once the code is loaded (absent: stay who we are). */
  identity?: Identity;
  /** A logind session's leader (0: none known): complete the session environment first. */
  leader?: number;
  debug: boolean;
}

/**
 * How long a helper that will not serve the daemon (another version) waits to be stopped before it
 * ends by itself: a daemon from before the version exchange never stops it.
 */
const UNSERVED_MS = 5000;

/** Exit status of a helper that did not serve the daemon that started it: another version. */
const EXIT_OTHER_VERSION = 3;

/**
 * `vdagent session`: the per-session helper. The daemon starts it over an inherited channel; if it
 * is to change user, it loads all its code while it may still read the installation and drops to
 * the session's user; it completes the session environment as that user, then says hello with its
 * version and runs the session modules the daemon names until the channel closes or SIGTERM. It
 * serves only a daemon of its own version (told in {@link DAEMON_VERSION_ENV}).
 */
export async function runSession(opts: SessionOptions): Promise<number> {
  const log = createLogger({ debug: opts.debug });
  // Read while the installation is surely readable, before anything else is loaded.
  const version = installedVersion();
  const daemon = process.env[DAEMON_VERSION_ENV];
  delete process.env[DAEMON_VERSION_ENV];
  // Code loaded before a drop stays resident for the helper's life (the D-Bus client alone is
  // ~5 MB): a helper that keeps its identity reads the rest later, on demand, as it could now.
  if (opts.identity && !runsAs(opts.identity)) await loadSessionCode();
  if (!isSocket(CHANNEL_FD)) {
    log.error(`vdagent session is started by the daemon, over its channel on fd ${CHANNEL_FD}`);
    return 2;
  }
  if (opts.identity) dropPrivileges(opts.identity);
  const blocks = new BlockPool(TRANSFER_BLOCK, TRANSFER_BLOCKS_KEPT);
  const channel = channelOnDescriptor(CHANNEL_FD, MAX_FRAME, blocks);
  const ended = new AbortController();
  channel.once('close', () => ended.abort());
  process.once('SIGTERM', () => ended.abort());
  if (daemon !== formatVersion(version)) return unserved(channel, ended.signal, log, version, `the daemon is ${daemon ?? 'from before the version exchange'}, this helper ${formatVersion(version)}`);
  // The user's bus and processes are read as the user: at worst they mislead or delay this helper.
  if (opts.leader !== undefined) Object.assign(process.env, await completeEnvironment(process.env, opts.leader, log, ended.signal));
  const send = (m: FromHelper): void => void channel.send(m);
  const runner = new SessionRunner(send, log, new DesktopState(), undefined, blocks);
  // The daemon made the channel and is trusted; the other direction is checked there.
  channel.on('message', (m) => runner.receive(m as ToHelper));
  channel.on('malformed', (err) => log.error(`session: ${err.message}`));
  if (!ended.signal.aborted) {
    send({ kind: 'hello', version });
    await once(ended.signal, 'abort');
  }
  await runner.stop();
  channel.close();
  return 0;
}

/**
 * A daemon of another version started this helper: it says hello with its version (a daemon that
 * checks stops it at once) and reads nothing; it ends by itself after {@link UNSERVED_MS}.
 */
async function unserved(channel: FrameChannel, ended: AbortSignal, log: Logger, version: ProgramVersion, why: string): Promise<number> {
  log.error(`session: ${why}; not serving it`);
  channel.send({ kind: 'hello', version } satisfies FromHelper);
  const timer = setTimeout(() => channel.close(), UNSERVED_MS);
  if (!ended.aborted) await once(ended, 'abort');
  clearTimeout(timer);
  channel.close();
  return EXIT_OTHER_VERSION;
}

/** Whether `fd` is an open socket (the daemon's end of the channel). */
function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}
