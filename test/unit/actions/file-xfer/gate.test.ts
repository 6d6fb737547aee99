import { describe, expect, it } from 'vitest';
import { FileXferGate } from '../../../../src/actions/file-xfer/gate.js';
import { GioError, MAX_ACTIVE_TRANSFERS } from '../../../../src/actions/file-xfer/status.js';
import type { SessionState } from '../../../../src/actions/session-gate.js';
import { Capability, FileXferResult, MessageType, type Message } from '../../../../src/protocol/index.js';

const start = (id: number): Message => ({ type: MessageType.FileXferStart, id, keyfile: '[vdagent-file-xfer]\nname=a\nsize=1\n' });
const status = (id: number, result: FileXferResult): Message => ({ type: MessageType.FileXferStatus, id, result });
const TOO_MANY = { kind: 'io-error', errorType: 0, errorCode: GioError.TooManyOpenFiles };
const refusal = (gate: FileXferGate, m: Message, state: SessionState) => {
  const a = gate.admit(m, state);
  return a.kind === 'reply' && a.message.type === MessageType.FileXferStatus ? a.message : undefined;
};

describe('the daemon side of file transfer', () => {
  it('answers START itself without a helper, in a locked session, and in a greeter', () => {
    const gate = new FileXferGate();
    expect(refusal(gate, start(1), 'absent')?.result).toBe(FileXferResult.VdagentNotConnected);
    expect(refusal(gate, start(1), 'locked')?.result).toBe(FileXferResult.SessionLocked);
    expect(refusal(gate, start(1), 'greeter')?.result).toBe(FileXferResult.Disabled);
    expect(gate.admit(start(1), 'active')).toEqual({ kind: 'forward' });
  });

  it('announces FILE_XFER_DISABLED only for a greeter', () => {
    const gate = new FileXferGate();
    expect(gate.capabilities('greeter')).toEqual([Capability.FileXferDisabled]);
    for (const s of ['absent', 'locked', 'active'] as const) expect(gate.capabilities(s)).toEqual([]);
  });

  it('refuses a duplicate id and more than 128 transfers before the helper sees them', () => {
    const gate = new FileXferGate();
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) expect(gate.admit(start(id), 'active').kind).toBe('forward');
    expect(refusal(gate, start(500), 'active')?.info).toEqual(TOO_MANY);
    gate.sent(status(0, FileXferResult.Success));
    gate.closed(0);
    expect(refusal(gate, start(1), 'active')).toEqual(status(1, FileXferResult.Error));
    expect(gate.admit(start(500), 'active').kind).toBe('forward');
  });

  it('keeps counting a transfer the client ended until the helper says its file is closed', () => {
    const gate = new FileXferGate();
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) gate.admit(start(id), 'active');
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) gate.admit(status(id, id % 2 ? FileXferResult.Cancelled : FileXferResult.Error), 'active');
    gate.sent(status(0, FileXferResult.Success));
    expect(refusal(gate, start(1000), 'active')?.info).toEqual(TOO_MANY);
    gate.closed(7);
    expect(gate.admit(start(1000), 'active').kind).toBe('forward');
    expect(refusal(gate, start(1001), 'active')?.info).toEqual(TOO_MANY);
  });

  it('counts an id cancelled and started again twice, until the helper closed both', () => {
    const gate = new FileXferGate();
    gate.admit(start(1), 'active');
    gate.admit(status(1, FileXferResult.Cancelled), 'active');
    expect(gate.admit(start(1), 'active').kind).toBe('forward');
    for (let id = 2; id < MAX_ACTIVE_TRANSFERS; id++) gate.admit(start(id), 'active');
    expect(refusal(gate, start(999), 'active')?.info).toEqual(TOO_MANY);
    gate.closed(1);
    expect(gate.admit(start(999), 'active').kind).toBe('forward');
    gate.closed(1);
    gate.closed(1); // a third report for an id held twice frees nothing more
    expect(gate.admit(start(998), 'active').kind).toBe('forward');
    expect(refusal(gate, start(997), 'active')?.info).toEqual(TOO_MANY);
  });

  it('ignores closed reports for ids it never forwarded', () => {
    const gate = new FileXferGate();
    for (let id = 0; id < 10; id++) gate.closed(id);
    refusal(gate, start(5), 'locked');
    gate.closed(5);
    for (let id = 100; id < 100 + MAX_ACTIVE_TRANSFERS; id++) expect(gate.admit(start(id), 'active').kind).toBe('forward');
    expect(refusal(gate, start(0), 'active')?.info).toEqual(TOO_MANY);
  });

  it('frees every count when the helper goes (a new helper holds nothing)', () => {
    const gate = new FileXferGate();
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) gate.admit(start(id), 'active');
    gate.lost();
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) expect(gate.admit(start(id), 'active').kind).toBe('forward');
  });

  it('on a new client frees the ids but keeps counting until the helper closed the files', () => {
    const gate = new FileXferGate();
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) gate.admit(start(id), 'active');
    gate.resetClient();
    expect(refusal(gate, start(0), 'active')?.info).toEqual(TOO_MANY);
    for (let id = 0; id < MAX_ACTIVE_TRANSFERS; id++) gate.closed(id);
    expect(gate.admit(start(0), 'active').kind).toBe('forward');
  });

  it('tells the client CANCELLED for each transfer still open when the helper goes', () => {
    const gate = new FileXferGate();
    for (const id of [1, 2, 3, 4]) gate.admit(start(id), 'active');
    gate.sent(status(1, FileXferResult.CanSendData));
    gate.sent(status(2, FileXferResult.Success));
    gate.admit(status(3, FileXferResult.Cancelled), 'active');
    expect(gate.lost()).toEqual([status(1, FileXferResult.Cancelled), status(4, FileXferResult.Cancelled)]);
    expect(gate.lost()).toEqual([]);
  });

  it('forgets transfers on a new client', () => {
    const gate = new FileXferGate();
    gate.admit(start(1), 'active');
    gate.resetClient();
    expect(gate.lost()).toEqual([]);
  });
});
