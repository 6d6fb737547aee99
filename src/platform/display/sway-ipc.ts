import { connect } from 'node:net';
import { endianness } from 'node:os';
import { DisplayError, DisplayErrorCode } from './backend.js';

/** The i3/sway IPC magic string every message starts with. */
const MAGIC = Buffer.from('i3-ipc', 'latin1');
/** The magic, then the payload's length and the message type, 32 bits each in the host's byte order. */
export const SWAY_HEADER_BYTES = MAGIC.length + 8;
/** How long sway may take to answer one request. */
const IPC_TIMEOUT_MS = 10_000;
/** The longest answer read (get_outputs is a few kB an output). */
export const SWAY_MAX_REPLY = 16 * 1024 * 1024;

/** The sway IPC requests the display backend makes. */
export enum SwayRequest {
  /** Runs sway commands (`output NAME mode …`); answers one result per command. */
  RunCommand = 0,
  /** Answers the outputs. */
  GetOutputs = 3,
}

const littleEndian = endianness() === 'LE';

/** An IPC message: the header (magic, payload length, type) and the UTF-8 payload. */
export function encodeSwayMessage(type: number, payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const header = Buffer.alloc(SWAY_HEADER_BYTES);
  MAGIC.copy(header);
  if (littleEndian) {
    header.writeUInt32LE(body.length, MAGIC.length);
    header.writeUInt32LE(type, MAGIC.length + 4);
  } else {
    header.writeUInt32BE(body.length, MAGIC.length);
    header.writeUInt32BE(type, MAGIC.length + 4);
  }
  return Buffer.concat([header, body]);
}

/**
 * The header at the start of `data`: the message type and the payload's length, or undefined
 * while fewer bytes than a header arrived. Throws a BadAnswer DisplayError for a header without
 * the magic or announcing more than `maxPayload` bytes.
 */
export function decodeSwayHeader(data: Buffer, maxPayload: number = SWAY_MAX_REPLY): { type: number; length: number } | undefined {
  if (data.length < SWAY_HEADER_BYTES) return undefined;
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new DisplayError(DisplayErrorCode.BadAnswer, 'sway IPC: an answer without the i3-ipc magic');
  const length = littleEndian ? data.readUInt32LE(MAGIC.length) : data.readUInt32BE(MAGIC.length);
  const type = littleEndian ? data.readUInt32LE(MAGIC.length + 4) : data.readUInt32BE(MAGIC.length + 4);
  if (length > maxPayload) throw new DisplayError(DisplayErrorCode.BadAnswer, `sway IPC: an answer of ${length} bytes (at most ${maxPayload} are read)`);
  return { type, length };
}

/**
 * Sends one request on sway's IPC socket `path` (SWAYSOCK, the user's own) and resolves with its
 * JSON answer; one connection a request, bounded in time and bytes. Rejects with a DisplayError:
 * Unreachable when there is no socket or nobody listens on it, BadAnswer for an answer that is not
 * one of this request's type or not JSON, ToolFailed otherwise.
 */
export function swayRequest(path: string, type: SwayRequest, payload: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    /** How many bytes must have arrived before the answer is looked at again (the header, then all of it). */
    let needed = SWAY_HEADER_BYTES;
    let connected = false;
    const socket = connect(path);
    const fail = (err: DisplayError): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(IPC_TIMEOUT_MS, () => fail(new DisplayError(DisplayErrorCode.ToolFailed, `sway IPC ${path}: no answer within ${IPC_TIMEOUT_MS} ms`)));
    socket.on('connect', () => {
      connected = true;
      socket.write(encodeSwayMessage(type, payload));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const gone = !connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED');
      fail(new DisplayError(gone ? DisplayErrorCode.Unreachable : DisplayErrorCode.ToolFailed, `sway IPC ${path}: ${err.message}`));
    });
    socket.on('close', () => fail(new DisplayError(DisplayErrorCode.ToolFailed, `sway IPC ${path}: closed before answering`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < needed) return;
      try {
        const data = Buffer.concat(chunks);
        chunks.splice(0, chunks.length, data);
        const header = decodeSwayHeader(data);
        needed = SWAY_HEADER_BYTES + (header?.length ?? 0);
        if (!header || received < needed) return;
        socket.destroy();
        if (header.type !== type) throw new DisplayError(DisplayErrorCode.BadAnswer, `sway IPC: an answer of type ${header.type} to a request of type ${type}`);
        resolve(parseJson(data.subarray(SWAY_HEADER_BYTES, needed).toString('utf8')));
      } catch (err) {
        fail(err instanceof DisplayError ? err : new DisplayError(DisplayErrorCode.BadAnswer, String(err)));
      }
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DisplayError(DisplayErrorCode.BadAnswer, 'sway IPC: an answer that is not JSON');
  }
}
