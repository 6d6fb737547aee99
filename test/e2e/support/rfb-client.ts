import { connect, type Socket } from 'node:net';
import { deflateSync, inflateSync } from 'node:zlib';

/** RFB pseudo-encoding of the extended clipboard (the community RFB spec, "ExtendedClipboard"). */
const EXTENDED_CLIPBOARD = 0xc0a1e5ce | 0;
/** Extended-clipboard flags: the text format and the actions. */
export const Clip = { text: 1 << 0, caps: 1 << 24, request: 1 << 25, peek: 1 << 26, notify: 1 << 27, provide: 1 << 28 } as const;

/** One extended-clipboard message from the server: its flags, and the text of a provide. */
export interface ClipboardMessage {
  flags: number;
  /** A provide's text bytes exactly as sent (a trailing NUL kept). */
  text?: Buffer;
}

/**
 * A minimal RFB 3.8 client (no authentication) for QEMU's VNC server on a UNIX socket: pointer
 * events and the extended clipboard, nothing on screen (it never asks for framebuffer updates).
 */
export class RfbClient {
  /** Every extended-clipboard message the server sent, in order. */
  readonly clipboard: ClipboardMessage[] = [];
  /** The framebuffer's size from ServerInit. */
  width = 0;
  height = 0;
  private buffer = Buffer.alloc(0);
  private wakers: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wakeAll();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wakeAll();
    });
    socket.on('error', () => undefined);
  }

  /** Connects, shakes hands (3.8, security None, shared) and announces the extended clipboard. */
  static async connect(path: string): Promise<RfbClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const client = new RfbClient(socket);
    await client.handshake();
    void client.readMessages();
    return client;
  }

  /** A PointerEvent: position in framebuffer pixels, button mask (1 left, 2 middle, 4 right). */
  pointer(x: number, y: number, buttons: number): Promise<void> {
    const m = Buffer.alloc(6);
    m.writeUInt8(5, 0);
    m.writeUInt8(buttons, 1);
    m.writeUInt16BE(x, 2);
    m.writeUInt16BE(y, 4);
    return this.write(m);
  }

  /** Tells the server the client's clipboard now holds text (notify). */
  notifyText(): Promise<void> {
    return this.clientCut(Clip.notify | Clip.text, Buffer.alloc(0));
  }

  /** Asks the server for the text it announced (request). */
  requestText(): Promise<void> {
    return this.clientCut(Clip.request | Clip.text, Buffer.alloc(0));
  }

  /** Sends the text the server asked for (provide): size and bytes, zlib-compressed. */
  provideText(text: Buffer): Promise<void> {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(text.length);
    return this.clientCut(Clip.provide | Clip.text, deflateSync(Buffer.concat([size, text])));
  }

  /** The first clipboard message from index `since` on whose flags include `flags`. */
  async nextClipboard(flags: number, since: number, timeoutMs: number): Promise<ClipboardMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.clipboard.slice(since).find((m) => (m.flags & flags) === flags);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no VNC clipboard message with flags 0x${flags.toString(16)} within ${timeoutMs / 1000} s; seen ${JSON.stringify(this.clipboard.map((m) => m.flags.toString(16)))}`);
      await this.waitForData(500);
    }
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
  }

  private async handshake(): Promise<void> {
    const version = (await this.read(12)).toString('latin1');
    if (!version.startsWith('RFB 003.')) throw new Error(`not an RFB server: ${JSON.stringify(version)}`);
    await this.write(Buffer.from('RFB 003.008\n', 'latin1'));
    const count = (await this.read(1)).readUInt8(0);
    const types = [...(await this.read(count))];
    if (!types.includes(1)) throw new Error(`the VNC server wants authentication (security types ${types.join(', ')})`);
    await this.write(Buffer.from([1]));
    if ((await this.read(4)).readUInt32BE(0) !== 0) throw new Error('the VNC server refused security None');
    await this.write(Buffer.from([1])); // ClientInit: shared
    const init = await this.read(24);
    this.width = init.readUInt16BE(0);
    this.height = init.readUInt16BE(2);
    await this.read(init.readUInt32BE(20)); // the desktop's name
    const encodings = [0, EXTENDED_CLIPBOARD]; // raw, extended clipboard
    const set = Buffer.alloc(4 + 4 * encodings.length);
    set.writeUInt8(2, 0);
    set.writeUInt16BE(encodings.length, 2);
    encodings.forEach((e, i) => set.writeInt32BE(e, 4 + 4 * i));
    await this.write(set);
  }

  /** Reads server messages for as long as the connection lasts: the clipboard ones are kept. */
  private async readMessages(): Promise<void> {
    try {
      for (;;) {
        const type = (await this.read(1)).readUInt8(0);
        if (type === 2) continue; // Bell
        if (type !== 3) throw new Error(`unexpected RFB server message ${type}`);
        const header = await this.read(7);
        const length = header.readInt32BE(3);
        if (length >= 0) {
          await this.read(length); // plain ServerCutText (Latin-1): not asked for
          continue;
        }
        const body = await this.read(-length);
        const flags = body.readUInt32BE(0);
        const message: ClipboardMessage = { flags };
        // A caps message lists every action the server supports, provide among them: no text.
        if (!(flags & Clip.caps) && flags & Clip.provide && flags & Clip.text) {
          const data = inflateSync(body.subarray(4));
          message.text = data.subarray(4, 4 + data.readUInt32BE(0));
        }
        this.clipboard.push(message);
      }
    } catch {
      // The connection closed (or spoke something else): nothing more to read.
    }
  }

  private clientCut(flags: number, payload: Buffer): Promise<void> {
    const m = Buffer.alloc(12);
    m.writeUInt8(6, 0);
    m.writeInt32BE(-(4 + payload.length), 4);
    m.writeUInt32BE(flags >>> 0, 8);
    return this.write(Buffer.concat([m, payload]));
  }

  private async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.closed) throw new Error('the VNC server closed the connection');
      await this.waitForData(30_000);
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  private waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waker = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wakers = this.wakers.filter((w) => w !== waker);
        resolve();
      }, ms);
      this.wakers.push(waker);
    });
  }

  private wakeAll(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  private write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }
}
