import { chownSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

/** How a hostile bus behaves once a client has authenticated. */
export type HostileBehaviour =
  /** Declares a message of 2 GiB (a body of 0x80000000 bytes) and sends none of it. */
  | 'huge'
  /** Sends bytes that are no D-Bus message. */
  | 'garbage'
  /** Says nothing at all, not even to the authentication. */
  | 'silent';

/** A hostile bus listening on a socket path. */
export interface HostileBus {
  /** The authentication lines each client sent (`AUTH EXTERNAL 31303030`, …), one list per connection. */
  clients: string[][];
  stop(): Promise<void>;
}

/** A method return header declaring a 2 GiB body: little endian, type 2, protocol version 1. */
function hugeHeader(): Buffer {
  const header = Buffer.alloc(16);
  header.write('l', 0, 'latin1');
  header[1] = 2;
  header[3] = 1;
  header.writeUInt32LE(0x8000_0000, 4);
  header.writeUInt32LE(1, 8);
  header.writeUInt32LE(0, 12);
  return header;
}

/** 64 KiB of a fixed pseudo-random pattern. */
function garbage(): Buffer {
  return Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 197 + (i >> 7) * 13 + 91) & 0xff));
}

/**
 * A server at `path` (owned by `owner`, as a socket the session's user put in its runtime
 * directory would be) that speaks the D-Bus authentication as far as `behaviour` says, then
 * misbehaves. Connections stay open until the client closes them or the bus stops.
 */
export async function startHostileBus(path: string, behaviour: HostileBehaviour, owner: { uid: number; gid: number }): Promise<HostileBus> {
  const clients: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const lines: string[] = [];
    clients.push(lines);
    let pending = '';
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      for (let eol = pending.indexOf('\r\n'); eol >= 0; eol = pending.indexOf('\r\n')) {
        const line = pending.slice(0, eol).replace(/^\0/, '');
        pending = pending.slice(eol + 2);
        if (lines.length < 10) lines.push(line);
        if (behaviour === 'silent') continue;
        if (line.startsWith('AUTH')) socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
        else if (line === 'NEGOTIATE_UNIX_FD') socket.write('AGREE_UNIX_FD\r\n');
        else if (line === 'BEGIN') socket.write(behaviour === 'huge' ? hugeHeader() : garbage());
        else if (line.startsWith('DATA')) socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  chownSync(path, owner.uid, owner.gid);
  return {
    clients,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
