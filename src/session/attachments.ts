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

/**
 * A structured clone (as v8.serialize, Buffers and bigints kept) whose large byte arrays are left
 * out of the clone and sent after it as they are: a clipboard's data is not copied into the
 * serializer's growing buffer on one side, nor kept inside a copy of the whole frame on the other.
 */
class AttachingSerializer extends DefaultSerializer {
  readonly attachments: Uint8Array[] = [];

  _writeHostObject(view: NodeJS.ArrayBufferView): void {
    if (view instanceof Uint8Array && view.byteLength >= ATTACH_MIN) {
      this.writeUint32(ATTACHED);
      this.writeUint32(view.byteLength);
      this.attachments.push(view);
      return;
    }
    this.writeUint32(INLINE);
    serializerHost._writeHostObject.call(this, view);
  }
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
  const s = new AttachingSerializer();
  s.writeHeader();
  s.writeValue(value);
  return { envelope: s.releaseBuffer(), attachments: s.attachments };
}

/** Unpacks a value from its envelope and the bytes of all its attachments (throws when they do not match). */
export function unpack(envelope: Buffer, attached: Buffer): unknown {
  const d = new AttachedDeserializer(envelope, attached);
  d.readHeader();
  const value: unknown = d.readValue();
  if (d.taken !== attached.length) throw new RangeError('attachment bytes left over');
  return value;
}
