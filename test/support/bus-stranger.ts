import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import dbus from 'dbus-next';

/** dbus-next's marshaller (not in its typings): a message as the bytes sent on the bus. */
interface Marshaller {
  marshallMessage: (message: dbus.Message) => [Buffer];
}

/** A message as the bytes a peer writes on the bus, with its serial. */
export function marshalled(message: dbus.Message, serial: number): Buffer {
  const marshaller = createRequire(import.meta.url)('dbus-next/lib/marshall-compat.js') as Marshaller;
  message.serial = serial;
  return marshaller.marshallMessage(message)[0];
}

/** A call to the bus itself (Hello, GetId…), marshalled. */
function busCall(member: string, serial: number): Buffer {
  return marshalled(new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member }), serial);
}

/**
 * The peer, run as another user: connects to the bus socket, authenticates (EXTERNAL, its own
 * uid), says Hello, writes the first half of the messages it reads on stdin, says `half` on stdout
 * and waits for a line on stdin, writes the rest and a GetId, and ends once the bus answered
 * GetId (so routed all before it).
 */
const PEER = String.raw`
const net = require('node:net');
const [path, count] = [process.argv[1], Number(process.argv[2])];
let input = Buffer.alloc(0);
let waiting;
process.stdin.on('data', (d) => {
  if (waiting) { const go = waiting; waiting = undefined; go(); return; }
  input = Buffer.concat([input, d]);
  if (input.length < 4) return;
  const n = input.readUInt32LE(0);
  if (input.length < 4 + n) return;
  const [hello, message, getId] = JSON.parse(input.subarray(4, 4 + n).toString()).map((b) => Buffer.from(b, 'base64'));
  const socket = net.connect(path);
  let auth = '';
  let incoming = Buffer.alloc(0);
  let returns = 0;
  const onMessages = (d) => {
    incoming = Buffer.concat([incoming, d]);
    while (incoming.length >= 16) {
      const le = incoming[0] === 0x6c;
      const body = le ? incoming.readUInt32LE(4) : incoming.readUInt32BE(4);
      const fields = le ? incoming.readUInt32LE(12) : incoming.readUInt32BE(12);
      const length = 16 + Math.ceil(fields / 8) * 8 + body;
      if (incoming.length < length) return;
      if (incoming[1] === 2 && ++returns === 2) { socket.end(); process.exit(0); }
      incoming = incoming.subarray(length);
    }
  };
  const onAuth = (d) => {
    auth += d.toString('latin1');
    if (!auth.includes('\r\n')) return;
    if (!auth.startsWith('OK')) { process.stderr.write(auth); process.exit(1); }
    socket.off('data', onAuth);
    socket.on('data', onMessages);
    socket.write('BEGIN\r\n');
    socket.write(hello);
    for (let i = 0; i < Math.floor(count / 2); i++) socket.write(message);
    socket.write(Buffer.alloc(0), () => {
      waiting = () => {
        for (let i = Math.floor(count / 2); i < count; i++) socket.write(message);
        socket.write(getId);
      };
      process.stdout.write('half\n');
    });
  };
  socket.on('data', onAuth);
  socket.write('\0AUTH EXTERNAL ' + Buffer.from(String(process.getuid())).toString('hex') + '\r\n');
});
`;

/**
 * A local user `uid` (not root) on the bus at `address` writes `message` (marshalled, its
 * destination set) `count` times as fast as the bus takes it; `midway` runs once half of them were
 * written. Resolves once the bus routed them all.
 */
export async function floodAsUser(address: string, uid: number, message: Buffer, count: number, midway: () => Promise<void>): Promise<void> {
  const path = /^unix:path=([^,]+)/.exec(address)?.[1];
  if (!path) throw new Error(`not a unix:path address: ${address}`);
  const child = spawn(process.execPath, ['-e', PEER, path, String(count)], { uid, gid: uid, stdio: ['pipe', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const ended = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the flooding peer exited with ${code}: ${errors}`))));
  });
  child.stdout.once('data', () => {
    void midway().then(
      () => child.stdin.write('go\n'),
      (err: unknown) => {
        child.kill();
        errors += String(err);
      },
    );
  });
  const input = Buffer.from(JSON.stringify([busCall('Hello', 1), message, busCall('GetId', 2)].map((b) => b.toString('base64'))));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(input.length);
  child.stdin.write(Buffer.concat([length, input]));
  await ended;
}
