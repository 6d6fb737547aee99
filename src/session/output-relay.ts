import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../log/logger.js';
import { RateLimiter, reportSuppressed } from '../log/rate-limit.js';

/** The longest line of a helper's output passed on, in characters: the rest of a longer line is dropped. */
export const MAX_RELAYED_LINE = 4096;

/**
 * A journal priority prefix above error (emergency, alert, critical) as journald reads one: a
 * single digit 0–2, zero-padded to at most three characters.
 */
const ABOVE_ERROR = /^<0{0,2}[0-2]>/;

/** One of a helper's output streams and where its lines go. */
export interface RelayedStream {
  from: Readable;
  to: Writable;
}

/**
 * Passes on the lines a helper writes on its standard output and error (pipes to the daemon) to
 * the daemon's own, as they are, cut at {@link MAX_RELAYED_LINE} characters, a priority above
 * error lowered to error (the helper's logger writes none: journald sends emergency lines to every
 * terminal as wall messages, and the user must not speak as the service there), under flood control
 * (none when `unlimited`: the daemon's --debug, whose helper logs every message). The helper runs
 * as the session's user, who may write anything there: inherited, its output was the daemon's
 * journal stream, which the user could flood (journald's per-unit limit then drops the daemon's
 * own lines too). The limits are twice the helper's own logger's, so that what its logger lets
 * through at the end of one of its windows and the start of the next passes whole; lines held back
 * are counted in a warning through `log`, naming `who`.
 */
export function relayOutput(streams: readonly RelayedStream[], log: Logger, who: string, unlimited: boolean): void {
  const limiter = new RateLimiter({ burst: 10, budget: 200 });
  const arm = reportSuppressed(limiter, (report) => log.warn(`${who}: ${report.lines} lines of its output held back (flood control)`));
  for (const { from, to } of streams) {
    let line = '';
    let cut = false;
    const pass = (): void => {
      if (unlimited || limiter.check(line)) to.write(`${line.replace(ABOVE_ERROR, '<3>')}\n`);
      else arm();
      line = '';
      cut = false;
    };
    from.setEncoding('utf8');
    from.on('data', (text: string) => {
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        if (!cut) line += text.slice(start, Math.min(nl, start + MAX_RELAYED_LINE - line.length));
        pass();
        start = nl + 1;
      }
      if (!cut) line += text.slice(start, start + MAX_RELAYED_LINE - line.length);
      cut = line.length >= MAX_RELAYED_LINE;
    });
    from.on('end', () => {
      if (line.length > 0) pass();
    });
  }
}
