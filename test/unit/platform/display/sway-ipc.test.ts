import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayErrorCode } from '../../../../src/platform/display/backend.js';
import { decodeSwayHeader, encodeSwayMessage, SwayRequest, swayRequest } from '../../../../src/platform/display/sway-ipc.js';
import { startFakeSwayIpc, swayOutput } from '../../../support/fake-sway-ipc.js';

describe('sway’s IPC protocol: i3-ipc, the payload length and the type in the host’s byte order, a JSON payload', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sway-ipc-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a message and its header', () => {
    const message = encodeSwayMessage(SwayRequest.RunCommand, 'output Virtual-1 disable');
    expect(message.subarray(0, 6).toString()).toBe('i3-ipc');
    expect(decodeSwayHeader(message)).toEqual({ type: SwayRequest.RunCommand, length: 24 });
    expect(decodeSwayHeader(message.subarray(0, 13))).toBeUndefined();
  });

  it('a header without the magic, or announcing more than is read, is a BadAnswer at once', () => {
    const wrong = Buffer.from(encodeSwayMessage(SwayRequest.GetOutputs, ''));
    wrong.write('i3-ipX');
    expect(() => decodeSwayHeader(wrong)).toThrow(expect.objectContaining({ code: DisplayErrorCode.BadAnswer }));
    expect(() => decodeSwayHeader(encodeSwayMessage(SwayRequest.GetOutputs, 'x'.repeat(100)), 99)).toThrow(expect.objectContaining({ code: DisplayErrorCode.BadAnswer }));
  });

  it('a request is answered with the JSON sway sent', async () => {
    const outputs = [swayOutput('Virtual-1', 1024, 768, 0, ['1024x768'])];
    const sway = await startFakeSwayIpc(join(dir, 'answers.sock'), [outputs]);
    expect(await swayRequest(sway.path, SwayRequest.GetOutputs, '')).toEqual(outputs);
    expect(await swayRequest(sway.path, SwayRequest.RunCommand, 'output Virtual-1 disable')).toEqual([{ success: true }]);
    expect(sway.commands).toEqual(['output Virtual-1 disable']);
    await sway.close();
  });

  it('no socket, or a socket nobody listens on (sway ended, SWAYSOCK stale): Unreachable', async () => {
    await expect(swayRequest(join(dir, 'missing.sock'), SwayRequest.GetOutputs, '')).rejects.toMatchObject({ code: DisplayErrorCode.Unreachable });
    // A socket file nobody listens on, as a sway that was killed leaves it.
    const stale = join(dir, 'stale.sock');
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
    await expect(swayRequest(stale, SwayRequest.GetOutputs, '')).rejects.toMatchObject({ code: DisplayErrorCode.Unreachable });
  });

  it('an answer of another type, one that is not JSON, an oversized one: BadAnswer; a peer that hangs up halfway: ToolFailed', async () => {
    const cases: [string, Buffer, DisplayErrorCode][] = [
      ['type.sock', encodeSwayMessage(SwayRequest.RunCommand, '[]'), DisplayErrorCode.BadAnswer],
      ['json.sock', encodeSwayMessage(SwayRequest.GetOutputs, '[{'), DisplayErrorCode.BadAnswer],
      // A length of 2^32 - 1, more than SWAY_MAX_REPLY.
      ['huge.sock', encodeSwayMessage(SwayRequest.GetOutputs, '').fill(0xff, 6, 10), DisplayErrorCode.BadAnswer],
      ['short.sock', encodeSwayMessage(SwayRequest.GetOutputs, '[]').subarray(0, 10), DisplayErrorCode.ToolFailed],
    ];
    for (const [name, raw, code] of cases) {
      const sway = await startFakeSwayIpc(join(dir, name), [], { raw });
      await expect(swayRequest(sway.path, SwayRequest.GetOutputs, '')).rejects.toMatchObject({ code });
      await sway.close();
    }
  });
});
