import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { createLogger } from '../log/logger.js';
import { CHANNEL_FD, FrameChannel, MAX_FRAME } from '../session/channel.js';
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
 * `vdagent session`: the per-session helper. The daemon starts it over an inherited channel;
 * it drops to the session's user first, then runs the session modules the daemon names until the
 * channel closes or SIGTERM.
 */
export async function runSession(opts: SessionOptions): Promise<number> {
  if (opts.identity) dropPrivileges(opts.identity);
  const log = createLogger({ debug: opts.debug });
  if (!isSocket(CHANNEL_FD)) {
    log.error(`vdagent session is started by the daemon, over its channel on fd ${CHANNEL_FD}`);
    return 2;
  }
  const channel = new FrameChannel(new Socket({ fd: CHANNEL_FD, readable: true, writable: true }), MAX_FRAME);
  const send = (m: FromHelper): void => void channel.send(m);
  const runner = new SessionRunner(send, log);
  // The daemon made the channel and is trusted; the other direction is checked there.
  channel.on('message', (m) => runner.receive(m as ToHelper));
  channel.on('malformed', (err) => log.error(`session: ${err.message}`));
  send({ kind: 'hello' });
  await new Promise<void>((resolve) => {
    channel.once('close', resolve);
    process.once('SIGTERM', resolve);
  });
  await runner.stop();
  channel.close();
  return 0;
}

/** Whether `fd` is an open socket (the daemon's end of the channel). */
function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}
