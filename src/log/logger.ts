import winston from 'winston';
import { RateLimiter } from './rate-limit.js';

/** The logger every layer but the protocol one receives. */
export type Logger = winston.Logger;

/** sd-daemon(3) priority prefixes, so the journal keeps levels. */
const SYSLOG_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** How the daemon logs. */
export interface LoggerOptions {
  /** Log every decoded message. */
  debug?: boolean;
  /** Where lines go (default stderr). */
  stream?: NodeJS.WritableStream;
  /** Journal format: `<N>` priority prefix, no timestamp (default: when JOURNAL_STREAM is set). */
  journal?: boolean;
  /** Rate limiter for warnings (default: 5 identical lines per 10 s). */
  limiter?: RateLimiter;
}

/** Drops identical warnings beyond the limiter's burst and notes how many were dropped. */
function rateLimit(limiter: RateLimiter): winston.Logform.Format {
  return winston.format((info) => {
    if (info.level !== 'warn' && info.level !== 'error') return info;
    const verdict = limiter.check(String(info.message));
    if (!verdict.pass) return false;
    if (verdict.suppressedBefore > 0) info.message = `${String(info.message)} (${verdict.suppressedBefore} identical lines suppressed)`;
    return info;
  })();
}

/** Creates the daemon's logger: one line per event, journal priorities under systemd. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const journal = options.journal ?? Boolean(process.env.JOURNAL_STREAM);
  const line = journal
    ? winston.format.printf((i) => `<${SYSLOG_PRIORITY[i.level] ?? 6}>${String(i.message)}`)
    : winston.format.printf((i) => `${String(i.timestamp)} ${i.level}: ${String(i.message)}`);
  return winston.createLogger({
    level: options.debug ? 'debug' : 'info',
    format: winston.format.combine(rateLimit(options.limiter ?? new RateLimiter()), winston.format.timestamp(), line),
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stderr })],
  });
}
