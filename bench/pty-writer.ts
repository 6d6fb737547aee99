import fs from 'node:fs';
import { ChunkPort, ClipboardSelection, ClipboardType, MessageType, NO_PEER, toWire } from '../src/protocol/index.js';

// The plainest writer of a pty slave (argv[2]), as spice-vdagentd writes: a CLIPBOARD message of
// argv[3] bytes as one chunk, in blocking write(2) calls of all that is left, started by a byte on
// stdin. What any agent could write at most on this pty, with the bench's reader on the master.
const fd = fs.openSync(process.argv[2] as string, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
const data = Buffer.alloc(Number(process.argv[3]), 0x61);
const wire = Buffer.concat(toWire({ type: MessageType.Clipboard, selection: ClipboardSelection.Clipboard, dataType: ClipboardType.Utf8Text, data }, NO_PEER, ChunkPort.Client, 0xffffffff));
process.stdin.once('data', () => {
  for (let off = 0; off < wire.length; ) off += fs.writeSync(fd, wire, off, wire.length - off);
  process.exit(0);
});
process.stdout.write('ready\n');
