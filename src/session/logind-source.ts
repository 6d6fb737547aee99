import type { Logger } from '../log/logger.js';
import { logindEnvironment } from './environment.js';
import { Seat0Tracker, type LoginSession } from './logind.js';
import type { Desktop, SessionSource } from './source.js';

/**
 * The desktop a logind session offers, if any: a local graphical (x11 or wayland) session of
 * class user or greeter that is not closing. tty, remote and background sessions have none.
 */
function desktopOf(s: LoginSession | undefined): Desktop | undefined {
  if (!s || (s.type !== 'x11' && s.type !== 'wayland')) return undefined;
  if ((s.class !== 'user' && s.class !== 'greeter') || s.remote || s.state === 'closing') return undefined;
  if (s.uid < 0 || s.gid < 0) return undefined;
  return {
    id: `${s.id}/${s.uid}`,
    identity: { uid: s.uid, gid: s.gid },
    greeter: s.class === 'greeter',
    locked: s.locked,
    // What logind says; the helper asks the user's manager and the leader for the rest.
    environment: async () => logindEnvironment(s),
    leader: Math.max(s.leader, 0),
  };
}

/** `--session auto`: the active graphical session of seat0, followed through logind. */
export function logindSource(log: Logger): SessionSource {
  let tracker: Seat0Tracker | undefined;
  return {
    async start(onChange) {
      try {
        tracker = await Seat0Tracker.start(log, (s) => {
          log.info(s ? `seat0: session ${s.id} of ${s.user} (${s.type}, ${s.class}${s.locked ? ', locked' : ''}${s.remote ? ', remote' : ''})` : 'seat0: no active session');
          onChange(desktopOf(s));
        });
      } catch (err) {
        log.warn(`no system bus (${err instanceof Error ? err.message : String(err)}): session modules stay off; --session current runs them as this user`);
      }
    },
    async stop() {
      tracker?.stop();
    },
  };
}
