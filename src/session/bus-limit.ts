import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { MessageBus } from 'dbus-next';

/**
 * The largest message the daemon reads from the system bus: logind's answers and signals are a few
 * KiB (GetAll of a session, about 3).
 */
export const MAX_BUS_MESSAGE = 64 * 1024;

/** Bytes of a D-Bus message's fixed header: endianness, type, flags, version, body length, serial, header fields' length. */
const FIXED_HEADER = 16;

/** dbus-next's connection under a MessageBus (not in its typings): the socket, and 'connect' once authenticated. */
interface Connection extends EventEmitter {
  stream: Readable;
}

/** Why a message from the bus was dropped: it declared more than the bound, or dbus-next could not read it. */
export type DroppedBusMessageCode = 'TooLarge' | 'Unreadable';

/** A message from the system bus that the daemon dropped unread: any user may send one. */
export class DroppedBusMessage extends Error {
  override readonly name = 'DroppedBusMessage';

  constructor(
    readonly code: DroppedBusMessageCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

/**
 * dbus-next reads messages in a 'readable' listener that it adds to the socket right after the
 * connection's 'connect', and a message it cannot read (a UNIX_FD index when no descriptor came
 * with it, which the bus does not check) throws there, outside any caller: the daemon would end.
 * That listener is wrapped: a throw drops the message (its bytes were taken before it was read, so
 * the next message starts where it should) and reading goes on while the socket holds more.
 */
function guardParser(stream: Readable, dropped: (err: DroppedBusMessage) => void): void {
  const guarded =
    (listener: (this: Readable) => void) =>
    (): void => {
      for (;;) {
        const before = stream.readableLength;
        try {
          listener.call(stream);
          return;
        } catch (err) {
          dropped(new DroppedBusMessage('Unreadable', err instanceof Error ? err.message : String(err)));
          // Nothing taken since (which the parser never does): reading again would only throw again.
          if (stream.readableLength === before) return;
        }
      }
    };
  const on = stream.on.bind(stream);
  stream.on = ((event: string | symbol, listener: (this: Readable) => void): Readable => {
    if (event !== 'readable') return on(event, listener);
    // Only dbus-next's parser: the stream's own method serves every later listener.
    Reflect.deleteProperty(stream, 'on');
    return on(event, guarded(listener));
  }) as Readable['on'];
}

/**
 * Drops every message over `max` bytes that reaches `bus` before dbus-next reads it, and every
 * message dbus-next fails to read, telling `dropped` of each (see guardParser). The system
 * bus lets any user send a signal to any peer, and a signal sent to our unique name reaches us
 * whatever our match rules; dbus-next parses a message whole before anyone sees it, into a value
 * per element: 28 MB of empty arrays made the root daemon hold over 1 GB and stop for seconds. So
 * its parser's reads are served here: once authenticated, each fixed header is read first, and a
 * message that declares more than `max` bytes is skipped as its bytes arrive, never buffered; the
 * parser only ever sees the others.
 */
export function limitIncoming(bus: MessageBus, dropped: (err: DroppedBusMessage) => void, max = MAX_BUS_MESSAGE): void {
  const connection = (bus as unknown as { _connection: Connection })._connection;
  const stream = connection.stream;
  const read = stream.read.bind(stream);
  /** Authenticated: the parser's reads are a header's, then its message's rest, in turn. */
  let framed = false;
  /** The parser has the header of a message and reads its rest next. */
  let rest = false;
  /** Bytes of a message over the bound still to be dropped. */
  let skip = 0;
  connection.once('connect', () => {
    framed = true;
    guardParser(stream, dropped);
  });
  stream.read = (size?: number): unknown => {
    if (!framed) return read(size);
    if (rest) {
      const got: unknown = read(size);
      if (got !== null) rest = false;
      return got;
    }
    for (;;) {
      while (skip > 0) {
        const n = Math.min(skip, stream.readableLength);
        if (n === 0) return null;
        read(n);
        skip -= n;
      }
      const header = read(FIXED_HEADER) as Buffer | null;
      if (header === null) return null;
      const le = header[0] === 0x6c; // 'l'
      const body = le ? header.readUInt32LE(4) : header.readUInt32BE(4);
      const fields = le ? header.readUInt32LE(12) : header.readUInt32BE(12);
      const length = FIXED_HEADER + Math.ceil(fields / 8) * 8 + body;
      if (length <= max) {
        rest = true;
        return header;
      }
      skip = length - FIXED_HEADER;
      dropped(new DroppedBusMessage('TooLarge', `a message of ${length} bytes, over the ${max} read`));
    }
  };
}
