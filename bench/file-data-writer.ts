import { ChunkPort, MessageType, toChunks } from '../src/protocol/index.js';
import type { ClientSimulator } from '../src/sim/simulator.js';

/** FILE_XFER_DATA payload size, as spice-gtk sends. */
export const DATA_SIZE = 64 * 1024;

/**
 * The bench's host writer of a file transfer: `size` bytes of transfer `id` in DATA of 64 KiB of
 * one block, cut as the simulator's client cuts them, each write awaited. Every full DATA is the
 * same message, so it is encoded once and its bytes written again: encoding each anew (32 chunk
 * headers and views, 64 buffers for one writev) cost the bench process as much CPU as an agent's
 * daemon, on the same two cores.
 */
export async function writeFileData(sim: ClientSimulator, id: number, size: number): Promise<void> {
  const block = Buffer.alloc(DATA_SIZE, 0x5a);
  const data = (bytes: Buffer): Buffer => Buffer.concat(toChunks({ type: MessageType.FileXferData, id, data: bytes }, sim.context, ChunkPort.Client, sim.profile.maxPiece));
  const full = data(block);
  let off = 0;
  for (; off + DATA_SIZE <= size; off += DATA_SIZE) await sim.sendRaw(full);
  if (off < size) await sim.sendRaw(data(block.subarray(0, size - off)));
}
