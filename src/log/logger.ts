import winston from 'winston';
import { RateLimiter, type SuppressedReport } from './rate-limit.js';

/** The logger every layer but the protocol one receives: one line per call, at one of four levels. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  /** Written only when `debugEnabled`; otherwise dropped at once. */
  debug(message: string): void;
  /** Whether debug lines are written: a caller that builds a debug line per message asks this first, so the line costs nothing when off. */
  readonly debugEnabled: boolean;
  /** Stops (true) or resumes (false) writing every line, e.g. while the filesystems logs may live on are frozen. */
  silence(on: boolean): void;
}

/** sd-daemon(3) priority prefixes, so the journal keeps levels. */
const SYSLOG_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** Marks the flood-control report itself, which is never limited. */
const REPORT = Symbol('flood-control report');

/** How the daemon logs. */
export interface LoggerOptions {
  /** Log every decoded message. */
  debug?: boolean;
  /** Where lines go (default stderr). */
  stream?: NodeJS.WritableStream;
  /** Journal format: `<N>` priority prefix, no timestamp (default: when JOURNAL_STREAM is set). */
  journal?: boolean;
  /** Flood control for error, warning and info lines (default: 5 lines of a shape, 100 in all, per 10 s). */
  limiter?: RateLimiter;
}

/**
 * Drops lines beyond the limiter's limits. Every level but debug is limited: most lines can be
 * caused by the host, and a line cannot tell. Debug lines (one per message, only with --debug)
 * are not: --debug asks for every message, which a limit would silently break.
 */
function floodControl(limiter: RateLimiter, suppressed: () => void): winston.Logform.Format {
  return winston.format((info) => {
    if (info.level === 'debug' || (info as { [REPORT]?: boolean })[REPORT]) return info;
    if (limiter.check(String(info.message))) return info;
    suppressed();
    return false;
  })();
}

/** The report line: how many lines were suppressed and the most frequent one. */
function reportText(r: SuppressedReport, limiter: RateLimiter): string {
  const example = r.example.length > 200 ? `${r.example.slice(0, 200)}…` : r.example;
  const limits = `at most ${limiter.burst} alike and ${limiter.budget} in all per ${limiter.windowMs / 1000} s`;
  return `flood control: ${r.lines} log lines suppressed (${limits}); most often (${r.exampleCount}×): ${example}`;
}

/**
 * Creates the daemon's logger: one line per event, journal priorities under systemd, and flood
 * control. The count of suppressed lines is written when their window ends, by a timer that
 * exists only while something was suppressed: an idle daemon has none.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const journal = options.journal ?? Boolean(process.env.JOURNAL_STREAM);
  const limiter = options.limiter ?? new RateLimiter();
  const line = journal
    ? winston.format.printf((i) => `<${SYSLOG_PRIORITY[i.level] ?? 6}>${String(i.message)}`)
    : winston.format.printf((i) => `${String(i.timestamp)} ${i.level}: ${String(i.message)}`);
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const ms = timer ? undefined : limiter.msUntilReport();
    if (ms === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      const report = limiter.takeReport();
      if (report) logger.log({ level: 'warn', message: reportText(report, limiter), [REPORT]: true });
      arm();
    }, ms + 1);
    timer.unref();
  };
  const debugEnabled = options.debug ?? false;
  const logger = winston.createLogger({
    level: debugEnabled ? 'debug' : 'info',
    format: winston.format.combine(floodControl(limiter, arm), winston.format.timestamp(), line),
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stderr })],
  });
  return {
    error: (message) => void logger.error(message),
    warn: (message) => void logger.warn(message),
    info: (message) => void logger.info(message),
    // winston runs its format pipeline even for a level it then drops: a debug line stops here.
    debug: (message) => void (debugEnabled && logger.debug(message)),
    debugEnabled,
    silence: (on) => void (logger.silent = on),
  };
}
