import { decodeMessage, MessageType, NO_PEER, Reassembler, toChunks } from '../src/protocol/index.js';

type Add = (name: string, value: string, target: string) => void;

/** Decode throughput of a 1 GiB stream of 64 KiB FILE_XFER_DATA messages in 2048-byte chunks. */
export async function decodeThroughput(add: Add): Promise<void> {
  const one = Buffer.concat(toChunks({ type: MessageType.FileXferData, id: 1, data: Buffer.alloc(65536, 0xab) }, NO_PEER));
  const perBlock = 16;
  const block = Buffer.concat(Array.from({ length: perBlock }, () => one));
  const messages = (1024 * 1024 * 1024) / 65536;
  let decoded = 0;
  let bytes = 0;
  const reassembler = new Reassembler({
    message(raw) {
      const m = decodeMessage(raw, NO_PEER);
      if (m.type === MessageType.FileXferData) bytes += m.data.length;
      decoded++;
    },
    error(err) {
      throw err;
    },
  });
  const read = 65536;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < messages / perBlock; i++) {
    for (let off = 0; off < block.length; off += read) reassembler.push(block.subarray(off, off + read));
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (decoded !== messages) throw new Error(`decoded ${decoded} of ${messages}`);
  add('decode 1 GiB of 64 KiB FILE_XFER_DATA (2048 B chunks)', `${(bytes / s / 1e9).toFixed(2)} GB/s`, '>= 1 GB/s');
}
