import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { createLogger, MAX_LINE, streamWriter, type LoggerOptions } from '../../../src/log/logger.js';
import { lateWriter } from '../../../src/log/late-writer.js';
import { winstonWriter } from '../../../src/log/winston-writer.js';

const WRITERS: [string, NonNullable<LoggerOptions['writer']>][] = [
  ['its own stream writer (the session helper)', streamWriter],
  ['winston (the daemon)', winstonWriter],
];

describe.each(WRITERS)('the logger through %s', (_name, writer) => {
  /** A logger writing plain-format lines into a list. */
  function plainLogger(debug: boolean): { log: ReturnType<typeof createLogger>; lines: string[] } {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    return { log: createLogger({ stream, journal: false, debug, writer }), lines };
  }

  it('writes the priority prefix and nothing else in journal format', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (d: Buffer) => lines.push(d.toString()));
    const log = createLogger({ stream, journal: true, writer });
    log.error('port gone');
    log.info('client connected');
    expect(lines.join('')).toBe('<3>port gone\n<6>client connected\n');
  });

  it(`cuts lines but debug ones to ${MAX_LINE} characters, saying how many were left out`, () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const log = createLogger({ stream, journal: true, debug: true, writer });
    const path = `/${'x'.repeat(MAX_LINE * 3)}`;
    log.warn(`refused ${path}`);
    log.debug(path);
    expect(lines).toEqual([`<4>refused ${path.slice(0, MAX_LINE - 8)}… (${path.length + 8 - MAX_LINE} more characters)`, `<7>${path}`]);
  });

  it('writes what a peer put in a line as one line: control characters but tab escaped, at every level', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (d: Buffer) => lines.push(d.toString()));
    const log = createLogger({ stream, journal: true, debug: true, writer });
    log.info('device pci/0000/02.0\n<0>forged\r\x1b[2J\tend');
    log.debug('name a\nb\0');
    expect(lines.join('')).toBe('<6>device pci/0000/02.0\\x0a<0>forged\\x0d\\x1b[2J\tend\n<7>name a\\x0ab\\x00\n');
  });

  it('writes a timestamp and the level before each line outside systemd', () => {
    const { log, lines } = plainLogger(false);
    log.warn('client disconnected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn: client disconnected$/);
  });

  it('writes debug lines only with debug, and says which', () => {
    const quiet = plainLogger(false);
    quiet.log.debug('<- MOUSE_STATE x=1 y=2');
    expect(quiet.lines).toEqual([]);
    expect(quiet.log.debugEnabled).toBe(false);
    const verbose = plainLogger(true);
    verbose.log.debug('<- MOUSE_STATE x=1 y=2');
    expect(verbose.lines).toHaveLength(1);
    expect(verbose.log.debugEnabled).toBe(true);
  });

  it('writes nothing while silenced, and every line again once resumed', () => {
    const { log, lines } = plainLogger(true);
    log.silence(true);
    log.error('e');
    log.debug('d');
    expect(lines).toEqual([]);
    log.silence(false);
    log.info('i');
    expect(lines).toHaveLength(1);
  });
});

describe('a late writer (the daemon: winston once loaded)', () => {
  it('writes through the stream writer until use(), then through the writer given, every line once and in order', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const late = lateWriter();
    const log = createLogger({ stream, journal: true, writer: late.writer });
    log.info('before');
    late.use(winstonWriter);
    log.warn('after');
    const later = createLogger({ stream, journal: true, writer: late.writer });
    later.error('made after');
    expect(lines).toEqual(['<6>before', '<4>after', '<3>made after']);
  });

  it('hands lines to the writer given once use() was called', () => {
    const seen: string[] = [];
    const late = lateWriter();
    const log = createLogger({ stream: new PassThrough(), journal: true, writer: late.writer });
    late.use(() => (level, message) => seen.push(`${level} ${message}`));
    log.info('through the new writer');
    expect(seen).toEqual(['info through the new writer']);
  });
});
