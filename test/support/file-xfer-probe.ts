import { FileXferResult, MessageType, type FileXferStatusMessage } from '../../src/protocol/index.js';
import type { Harness } from './harness.js';

/**
 * Waits until a helper serves file-xfer: asks to send a one-byte file until START is no longer
 * answered VDAGENT_NOT_CONNECTED, cancels a probe that was accepted, and resolves with the answer.
 * Probes use transfer ids from 900000 up, far from those a test numbers itself.
 */
export async function untilFileXferServed(h: Harness): Promise<FileXferStatusMessage> {
  for (let id = 900_000; ; id++) {
    await h.sim.send({ type: MessageType.FileXferStart, id, keyfile: '[vdagent-file-xfer]\nname=probe\nsize=1\n' });
    const status = await h.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: 5000 });
    if (status.result !== FileXferResult.VdagentNotConnected) {
      if (status.result === FileXferResult.CanSendData) await h.sim.send({ type: MessageType.FileXferStatus, id, result: FileXferResult.Cancelled });
      return status;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
