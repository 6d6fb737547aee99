import { FileXferResult, MessageType, type FileXferStatusMessage } from '../../src/protocol/index.js';
import type { Harness } from './harness.js';

/** Where untilServed()'s probes number their transfers: far from the ids a test uses. */
const FIRST_PROBE_ID = 900_000;

/** A client sending files to the agent the way spice-gtk does, with ids of its own. */
export class TransferClient {
  private nextId = 1;
  private nextProbeId = FIRST_PROBE_ID;

  constructor(private readonly agent: Harness) {}

  /** The next status the agent answers for transfer `id`. */
  statusOf(id: number, timeoutMs = 5000): Promise<FileXferStatusMessage> {
    return this.agent.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs });
  }

  /** Sends START without waiting for the answer; the transfer's id. */
  async start(name: string, size: number): Promise<number> {
    const id = this.nextId++;
    await this.sendStart(id, name, size);
    return id;
  }

  /** Asks to send a file; the transfer's id and the agent's first answer. */
  async begin(name: string, size: number): Promise<{ id: number; status: FileXferStatusMessage }> {
    const id = await this.start(name, size);
    return { id, status: await this.statusOf(id) };
  }

  /** What START is answered now (a one-byte file; an accepted transfer is cancelled at once). */
  async answerNow(): Promise<FileXferResult> {
    const { id, status } = await this.begin('a.txt', 1);
    if (status.result === FileXferResult.CanSendData) await this.cancel(id);
    return status.result;
  }

  /** Sends DATA for a transfer. */
  data(id: number, data: Buffer): Promise<void> {
    return this.agent.sim.send({ type: MessageType.FileXferData, id, data });
  }

  /** The client cancels a transfer (the user pressed cancel). */
  cancel(id: number): Promise<void> {
    return this.agent.sim.send({ type: MessageType.FileXferStatus, id, result: FileXferResult.Cancelled });
  }

  /** Sends a whole file in 64 KiB DATA messages; the final status. */
  async sendFile(name: string, content: Buffer): Promise<FileXferStatusMessage> {
    const { id, status } = await this.begin(name, content.length);
    if (status.result !== FileXferResult.CanSendData) return status;
    for (let off = 0; off < content.length || off === 0; off += 65536) await this.data(id, content.subarray(off, off + 65536));
    return this.statusOf(id);
  }

  /**
   * Waits until a helper serves file-xfer: asks to send a one-byte file until START is no longer
   * answered VDAGENT_NOT_CONNECTED, cancels a probe that was accepted, and resolves with the answer.
   * Probes are numbered from 900000 up, so they take none of the ids a test numbers itself.
   */
  async untilServed(): Promise<FileXferStatusMessage> {
    for (;;) {
      const id = this.nextProbeId++;
      await this.sendStart(id, 'probe', 1);
      const status = await this.statusOf(id);
      if (status.result !== FileXferResult.VdagentNotConnected) {
        if (status.result === FileXferResult.CanSendData) await this.cancel(id);
        return status;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private sendStart(id: number, name: string, size: number): Promise<void> {
    return this.agent.sim.send({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=${name}\nsize=${size}\n` });
  }
}
