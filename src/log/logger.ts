import { RateLimiter, reportSuppressed, type SuppressedReport } from './rate-limit.js';

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

/** The levels, each with its sd-daemon(3) priority prefix, so the journal keeps levels. */
const SYSLOG_PRIORITY = { error: 3, warn: 4, info: 6, debug: 7 } as const;

/** A log level. */
export type Level = keyof typeof SYSLOG_PRIORITY;

/** Writes one finished line (flood control already passed) at a level. */
export type LineWriter = (level: Level, message: string) => void;

/** Control characters but tab: a newline would start a line of the peer's (with its own `<0>` priority), an escape would steer a terminal. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** `message` with each control character but tab written as `\xHH`: one line, whatever strings of a peer it holds. */
function oneLine(message: string): string {
  return message.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * One line as the journal (`<N>` priority prefix) or a terminal (timestamp and level) shows it,
 * without the newline; control characters in the message are escaped ({@link oneLine}). The
 * journal stamps lines itself, so no time is formatted for it: V8's `toISOString` consults ICU's
 * time zone data (0.6 MB of Node's pages touched).
 */
export function formatLine(level: Level, message: string, journal: boolean): string {
  const text = oneLine(message);
  return journal ? `<${SYSLOG_PRIORITY[level]}>${text}` : `${new Date().toISOString()} ${level}: ${text}`;
}

/** A writer that formats each line itself and writes it to the stream at once: the session helper's, without a logging library's start-up cost. */
export function streamWriter(stream: NodeJS.WritableStream, journal: boolean): LineWriter {
  return (level, message) => void stream.write(`${formatLine(level, message, journal)}\n`);
}

/** The longest line written at a level a peer can cause, in characters; the rest is left out. */
export const MAX_LINE = 4096;

/**
 * A line cut to MAX_LINE characters, saying how many were left out: a host's string (a refused
 * program path, a user name) would otherwise be written, and kept by the flood control, whole.
 * The kept part is copied, so it holds nothing of the original alive.
 */
export function boundedLine(message: string): string {
  if (message.length <= MAX_LINE) return message;
  return `${[...message.slice(0, MAX_LINE)].join('')}… (${message.length - MAX_LINE} more characters)`;
}

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
  /** Makes the writer from the stream and format (default: `streamWriter`; the daemon passes winston's). */
  writer?: (stream: NodeJS.WritableStream, journal: boolean) => LineWriter;
}

/** The report line: how many lines were suppressed and the most frequent one. */
function reportText(r: SuppressedReport, limiter: RateLimiter): string {
  const example = r.example.length > 200 ? `${r.example.slice(0, 200)}…` : r.example;
  const limits = `at most ${limiter.burst} alike and ${limiter.budget} in all per ${limiter.windowMs / 1000} s`;
  return `flood control: ${r.lines} log lines suppressed (${limits}); most often (${r.exampleCount}×): ${example}`;
}

/**
 * Creates a logger: one line per event, with journal priorities under systemd (else an ISO
 * timestamp and the level), and flood control. Lines but debug ones are cut to MAX_LINE. Every level
 * but debug is limited: most lines can be caused by the host, and a line cannot tell. Debug lines
 * (one per message, only with --debug) are not: --debug asks for every message, which a limit
 * would silently break. The count of suppressed lines is written when their window ends, by a
 * timer that exists only while something was suppressed: an idle daemon has none.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const journal = options.journal ?? Boolean(process.env.JOURNAL_STREAM);
  const limiter = options.limiter ?? new RateLimiter();
  const stream = options.stream ?? process.stderr;
  const debugEnabled = options.debug ?? false;
  let silent = false;
  const write = (options.writer ?? streamWriter)(stream, journal);
  // The report itself is never limited.
  const arm = reportSuppressed(limiter, (report) => {
    if (!silent) write('warn', reportText(report, limiter));
  });
  const limited = (level: Level) => (message: string): void => {
    if (silent) return;
    const line = boundedLine(message);
    if (limiter.check(line)) write(level, line);
    else arm();
  };
  return {
    error: limited('error'),
    warn: limited('warn'),
    info: limited('info'),
    debug: (message) => {
      if (debugEnabled && !silent) write('debug', message);
    },
    debugEnabled,
    silence: (on) => {
      silent = on;
    },
  };
}
