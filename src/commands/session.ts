import { createLogger } from '../log/logger.js';
import type { FromHelper, ToHelper } from '../session/ipc.js';
import { dropPrivileges, type Identity } from '../session/privileges.js';
import { SessionRunner } from '../session/runner.js';

/** Options of `vdagent session`. */
export interface SessionOptions {
  /** The user to become before anything else (absent: stay who we are). */
  identity?: Identity;
  debug: boolean;
}

/**
 * `vdagent session`: the per-session helper. The daemon starts it over an inherited IPC channel;
 * it drops to the session's user first, then runs the session modules the daemon names until the
 * channel closes or SIGTERM.
 */
export async function runSession(opts: SessionOptions): Promise<number> {
  if (opts.identity) dropPrivileges(opts.identity);
  const log = createLogger({ debug: opts.debug });
  const channel = process.send?.bind(process);
  if (!channel) {
    log.error('vdagent session is started by the daemon, over its IPC channel');
    return 2;
  }
  const send = (m: FromHelper): void => {
    if (process.connected) channel(m);
  };
  const runner = new SessionRunner(send, log);
  // The daemon made the channel and is trusted; the other direction is checked there.
  process.on('message', (m) => runner.receive(m as ToHelper));
  send({ kind: 'hello' });
  await new Promise<void>((resolve) => {
    process.once('disconnect', resolve);
    process.once('SIGTERM', resolve);
  });
  await runner.stop();
  if (process.connected) process.disconnect?.();
  return 0;
}
