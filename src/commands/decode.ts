import { readFileSync } from 'node:fs';
import { CapabilitySet, decodeMessage, DEFAULT_MAX_MESSAGE_SIZE, describeMessage, ErrorCode, MESSAGE_HEADER_SIZE, MessageType, Reassembler, VdagentError } from '../protocol/index.js';

/** Reads a capture as raw bytes, or as hex text when it holds only hex digits and spaces. */
export function readCapture(data: Buffer): Buffer {
  const text = data.toString('latin1');
  if (/^[\s0-9a-fA-F]*$/.test(text) && /[0-9a-fA-F]/.test(text)) return Buffer.from(text.replace(/\s+/g, ''), 'hex');
  return data;
}

/**
 * Decodes a captured byte stream to one line per message or error. Clipboard layouts follow the
 * capabilities announced within the stream (both sides announce bits 6 and 17 together). Chunks of
 * any size up to a whole message are read: the guest's side of a capture has them (this agent and
 * spice-vdagentd put each message in one chunk), the host's 2048-byte ones are a special case.
 */
export function decodeStream(bytes: Buffer): string[] {
  const lines: string[] = [];
  let caps = CapabilitySet.empty;
  const report = (err: VdagentError, port: number | undefined): void => {
    lines.push(`error ${ErrorCode[err.code]} (${err.severity})${port ? ` port ${port}` : ''}: ${err.message}`);
  };
  const reassembler = new Reassembler({
    message(raw) {
      try {
        const m = decodeMessage(raw, { peerCaps: caps });
        if (m.type === MessageType.AnnounceCapabilities) caps = m.caps;
        lines.push(`port ${raw.port}: ${describeMessage(m)}`);
      } catch (err) {
        if (!(err instanceof VdagentError)) throw err;
        report(err, raw.port);
      }
    },
    error: report,
  }, { maxChunkSize: MESSAGE_HEADER_SIZE + DEFAULT_MAX_MESSAGE_SIZE });
  reassembler.push(bytes);
  if (reassembler.needsResync) lines.push('stream lost: the rest was not decoded');
  else if (reassembler.buffered > 0) lines.push(`incomplete: ${reassembler.buffered} bytes of an unfinished chunk or message`);
  return lines;
}

/** `vdagent decode [FILE|-]`. */
export function runDecode(file: string | undefined): number {
  const data = readFileSync(file === undefined || file === '-' ? 0 : file);
  for (const line of decodeStream(readCapture(data))) process.stdout.write(line + '\n');
  return 0;
}
