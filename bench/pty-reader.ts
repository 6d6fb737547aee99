import fs from 'node:fs';

// The plainest reader of a pty slave (argv[2]): blocking read(2) into 64 KiB until the master
// closes; prints the bytes and reads as JSON. What any agent could read at most on this pty.
const fd = fs.openSync(process.argv[2] as string, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
const buffer = Buffer.allocUnsafe(64 * 1024);
let bytes = 0;
let reads = 0;
process.stdout.write('ready\n');
for (;;) {
  let n: number;
  try {
    n = fs.readSync(fd, buffer, 0, buffer.length, null);
  } catch {
    break; // EIO: the master closed
  }
  if (n === 0) break;
  bytes += n;
  reads++;
}
process.stdout.write(`${JSON.stringify({ bytes, reads })}\n`);
