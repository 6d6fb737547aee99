import { streamWriter, type LineWriter, type LoggerOptions } from './logger.js';

/** Makes a line writer from the stream and format, as `createLogger` asks. */
export type WriterFactory = NonNullable<LoggerOptions['writer']>;

/** A writer factory whose writers start with the plain stream writer and take another one later. */
export interface LateWriter {
  /** What `createLogger` is given. */
  readonly writer: WriterFactory;
  /** From now on, every writer made (before or after) writes through `factory`'s. */
  use(factory: WriterFactory): void;
}

/**
 * Writes each line itself, in the same format, until use() names the writer to go through: the
 * daemon announces itself before winston (about 50 ms to load) is loaded. Lines keep their order:
 * those written before the switch are in the stream already.
 */
export function lateWriter(): LateWriter {
  let chosen: WriterFactory | undefined;
  const waiting: ((factory: WriterFactory) => void)[] = [];
  return {
    writer(stream, journal) {
      if (chosen) return chosen(stream, journal);
      let write: LineWriter = streamWriter(stream, journal);
      waiting.push((factory) => {
        write = factory(stream, journal);
      });
      return (level, message) => write(level, message);
    },
    use(factory) {
      chosen = factory;
      for (const to of waiting.splice(0)) to(factory);
    },
  };
}
