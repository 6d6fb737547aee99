import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { MessageBus } from 'dbus-next';
import { declaredLengths, FIXED_HEADER, readBusHeader, type BusHeader } from './bus-header.js';

/**
 * The largest message the daemon reads from the system bus: logind's answers and signals are a few
 * KiB (GetAll of a session, about 3).
 */
export const MAX_BUS_MESSAGE = 64 * 1024;

/** The D-Bus message type of a signal. */
const SIGNAL = 4;

/** dbus-next's connection under a MessageBus (not in its typings): the socket, and 'connect' once authenticated. */
interface Connection extends EventEmitter {
  stream: Readable;
}

/**
 * Why a message from the bus was dropped: it declared more than the bound, its header or
 * dbus-next could not read it, or it is a signal from a sender the daemon does not listen to.
 */
export type DroppedBusMessageCode = 'TooLarge' | 'Unreadable' | 'Stranger';

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

/** What limitIncoming lets through, and where it tells of what it drops. */
export interface BusFilter {
  /** Whether a signal from `sender` (its SENDER header field) is read; any other signal is dropped unread. */
  hears: (sender: string | undefined) => boolean;
  /** Told of every message dropped unread. */
  dropped: (err: DroppedBusMessage) => void;
}

/** Why a message with `header` (undefined: unreadable) is dropped before its body is read, if it is. */
function refusal(header: BusHeader | undefined, hears: BusFilter['hears']): DroppedBusMessage | undefined {
  if (header === undefined) return new DroppedBusMessage('Unreadable', 'a message whose header fields are malformed');
  if (header.type === SIGNAL && !hears(header.sender)) return new DroppedBusMessage('Stranger', `a signal from ${header.sender ?? 'no sender'}`);
  return undefined;
}

/**
 * Drops, before dbus-next reads them, every message over `max` bytes that reaches `bus` and every
 * signal from a sender `filter` does not hear, and every message dbus-next fails to read, telling
 * `filter.dropped` of each (see guardParser). The system bus lets any user send a signal to any
 * peer, and a signal sent to our unique name reaches us whatever our match rules; dbus-next parses
 * a message whole before anyone sees it, into a value per element: 28 MB of empty arrays made the
 * root daemon hold over 1 GB and stop for seconds, and a flood of 64 KiB ones kept it busy (about
 * 10 ms of CPU each). So its parser's reads are served here: once authenticated, each fixed header and
 * its header fields are read first, and a message that declares more than `max` bytes, or a signal
 * from a stranger, is skipped as its bytes arrive, never buffered nor parsed; the parser only ever
 * sees the others.
 */
export function limitIncoming(bus: MessageBus, filter: BusFilter, max = MAX_BUS_MESSAGE): void {
  const connection = (bus as unknown as { _connection: Connection })._connection;
  const stream = connection.stream;
  const read = stream.read.bind(stream);
  /** Authenticated: the parser's reads are a fixed header's, then its message's rest, in turn. */
  let framed = false;
  /** The fixed header of the next message, read before its header fields arrived. */
  let fixed: Buffer | null = null;
  /** The header fields of the message whose fixed header the parser has: served with the body next. */
  let fields: Buffer | undefined;
  /** Bytes of a dropped message still to be skipped. */
  let skip = 0;
  connection.once('connect', () => {
    framed = true;
    guardParser(stream, filter.dropped);
  });
  stream.read = (size?: number): unknown => {
    if (!framed) return read(size);
    if (fields !== undefined) {
      const length = (size ?? 0) - fields.length;
      const body = length > 0 ? (read(length) as Buffer | null) : Buffer.alloc(0);
      if (body === null) return null;
      const rest = Buffer.concat([fields, body]);
      fields = undefined;
      return rest;
    }
    for (;;) {
      while (skip > 0) {
        const n = Math.min(skip, stream.readableLength);
        if (n === 0) return null;
        read(n);
        skip -= n;
      }
      fixed ??= read(FIXED_HEADER) as Buffer | null;
      if (fixed === null) return null;
      const declared = declaredLengths(fixed);
      const { padded } = declared;
      if (declared.message > max) {
        fixed = null;
        skip = declared.message - FIXED_HEADER;
        filter.dropped(new DroppedBusMessage('TooLarge', `a message of ${declared.message} bytes, over the ${max} read`));
        continue;
      }
      const got = padded > 0 ? (read(padded) as Buffer | null) : Buffer.alloc(0);
      if (got === null) return null;
      const head = fixed;
      fixed = null;
      const why = refusal(readBusHeader(Buffer.concat([head, got])), filter.hears);
      if (why === undefined) {
        fields = got;
        return head;
      }
      skip = declared.message - FIXED_HEADER - padded;
      filter.dropped(why);
    }
  };
}
