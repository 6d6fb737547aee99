import { DefaultDeserializer, DefaultSerializer } from 'node:v8';

/** Byte arrays at least this long travel as attachments, after the envelope, instead of inside it. */
export const ATTACH_MIN = 64 * 1024;

/** Tags before each host object (a byte array) of an envelope: inside it, or an attachment. */
const INLINE = 0;
const ATTACHED = 1;

/** Node's own host-object (ArrayBufferView) methods, which its typings leave out. */
interface HostObjects {
  _writeHostObject(this: DefaultSerializer, view: NodeJS.ArrayBufferView): void;
  _readHostObject(this: DefaultDeserializer): NodeJS.ArrayBufferView;
}
const serializerHost = DefaultSerializer.prototype as unknown as HostObjects;
const deserializerHost = DefaultDeserializer.prototype as unknown as HostObjects;

/** A value packed for the channel: its structured clone, and the large byte arrays it refers to. */
export interface Packed {
  /** The structured clone, large byte arrays replaced by their length. */
  envelope: Buffer;
  /** The large byte arrays, in the order the envelope refers to them (not copied). */
  attachments: Uint8Array[];
}

/** On a stand-in: the length of the large byte array it stands for, sent after the envelope. */
const ATTACHED_LENGTH = Symbol('attached length');

/** What the serializer sees in place of a large byte array: an empty view with that array's length. */
type StandIn = Uint8Array & { [ATTACHED_LENGTH]?: number };

/**
 * A structured clone (as v8.serialize, Buffers and bigints kept) whose large byte arrays are left
 * out of the clone and sent after it as they are: a clipboard's data is not copied into the
 * serializer's growing buffer on one side, nor kept inside a copy of the whole frame on the other.
 * It only ever sees what {@link detach} made of a value.
 */
class AttachingSerializer extends DefaultSerializer {
  _writeHostObject(view: NodeJS.ArrayBufferView): void {
    const attached = (view as StandIn)[ATTACHED_LENGTH];
    if (attached !== undefined) {
      this.writeUint32(ATTACHED);
      this.writeUint32(attached);
      return;
    }
    this.writeUint32(INLINE);
    serializerHost._writeHostObject.call(this, view);
  }
}

/** A copy of `bytes` in a buffer of its own, of the same class (Buffer stays Buffer). */
function exactCopy(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  return Buffer.isBuffer(bytes) ? Buffer.from(copy.buffer) : copy;
}

/** Whether `value` is a plain object (an object literal or a null-prototype object). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * What the serializer is given for `value` (plain objects and arrays, no cycles): each byte array
 * of ATTACH_MIN or more replaced by a stand-in and pushed to `attachments`, each smaller one that
 * is a view into a larger buffer replaced by a copy of its own bytes; objects and arrays holding
 * neither are passed as they are, the caller's never changed. V8's serializer keeps every object
 * it wrote alive after it is done, until its own native part is freed: in the daemon the views
 * handed to it outlived the scavenges meanwhile, were promoted, and kept their whole buffers (the
 * 64 KiB transfer block a 100-byte FILE_XFER_DATA was collected in, the port read a payload is a
 * view of) until a full collection; in the fuzz test they piled up to 15–18 MiB outside the heap
 * (2 MiB with copies). Given exact copies, what it keeps is the message's own bytes.
 */
export function detach(value: unknown, attachments: Uint8Array[]): unknown {
  if (value instanceof Uint8Array) {
    if (value.byteLength >= ATTACH_MIN) {
      attachments.push(value);
      return Object.assign(new Uint8Array(0), { [ATTACHED_LENGTH]: value.byteLength });
    }
    return value.byteLength === value.buffer.byteLength ? value : exactCopy(value);
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const d = detach(item, attachments);
      if (d !== item) (out ??= [...(value as unknown[])])[i] = d;
    });
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const d = detach(item, attachments);
    if (d !== item) (out ??= { ...value })[key] = d;
  }
  return out ?? value;
}

/** Reads an envelope, taking its attachments as views into the bytes that followed it. */
class AttachedDeserializer extends DefaultDeserializer {
  /** Attachment bytes taken so far. */
  taken = 0;

  constructor(
    envelope: Buffer,
    private readonly attached: Buffer,
  ) {
    super(envelope);
  }

  _readHostObject(): NodeJS.ArrayBufferView {
    if (this.readUint32() === INLINE) return deserializerHost._readHostObject.call(this);
    const length = this.readUint32();
    if (length > this.attached.length - this.taken) throw new RangeError('an attachment runs past the frame');
    const view = this.attached.subarray(this.taken, this.taken + length);
    this.taken += length;
    return view;
  }
}

/** Packs a value for the channel (throws, as v8.serialize, for what cannot be cloned). */
export function pack(value: unknown): Packed {
  const attachments: Uint8Array[] = [];
  const s = new AttachingSerializer();
  s.writeHeader();
  s.writeValue(detach(value, attachments));
  return { envelope: s.releaseBuffer(), attachments };
}

/** Unpacks a value from its envelope and the bytes of all its attachments (throws when they do not match). */
export function unpack(envelope: Buffer, attached: Buffer): unknown {
  const d = new AttachedDeserializer(envelope, attached);
  d.readHeader();
  const value: unknown = d.readValue();
  if (d.taken !== attached.length) throw new RangeError('attachment bytes left over');
  return value;
}
