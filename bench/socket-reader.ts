import { connect } from 'node:net';

// The plainest reader of a UNIX socket (argv[2]): reads into one reused 64 KiB buffer until the
// host closes; prints the bytes and reads as JSON. What any agent could read at most on this socket.
const buffer = Buffer.allocUnsafe(64 * 1024);
let bytes = 0;
let reads = 0;
const socket = connect({
  path: process.argv[2] as string,
  onread: {
    buffer,
    callback: (n: number): boolean => {
      bytes += n;
      reads++;
      return true;
    },
  },
});
socket.on('connect', () => process.stdout.write('ready\n'));
socket.on('close', () => process.stdout.write(`${JSON.stringify({ bytes, reads })}\n`));
socket.on('error', () => undefined);
