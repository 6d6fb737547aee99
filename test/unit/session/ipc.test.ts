import { describe, expect, it } from 'vitest';
import { isFromHelper } from '../../../src/session/ipc.js';
import { MAX_MONITORS, MessageType } from '../../../src/protocol/index.js';

describe('what the daemon accepts from the session helper', () => {
  it('accepts the layout the session applied, or null', () => {
    expect(isFromHelper({ kind: 'layout', monitors: [{ x: 0, y: 0, width: 1024, height: 768, output: 'Virtual-1', displayId: 0 }] })).toBe(true);
    expect(isFromHelper({ kind: 'layout', monitors: null })).toBe(true);
  });

  it.each([
    ['a monitor without a height', { kind: 'layout', monitors: [{ x: 0, y: 0, width: 1024 }] }],
    ['a fractional width', { kind: 'layout', monitors: [{ x: 0, y: 0, width: 1.5, height: 2 }] }],
    ['an output name that is not a string', { kind: 'layout', monitors: [{ x: 0, y: 0, width: 1, height: 1, output: 7 }] }],
    ['monitors that are not a list', { kind: 'layout', monitors: 'all of them' }],
    ['a layout with a hole', { kind: 'layout', monitors: [{ x: 0, y: 0, width: 1, height: 1 }, , { x: 1, y: 0, width: 1, height: 1 }] }],
    ['more monitors than a client may configure', { kind: 'layout', monitors: Array.from({ length: MAX_MONITORS + 1 }, () => ({ x: 0, y: 0, width: 1, height: 1 })) }],
    ['a message of a type that does not exist', { kind: 'message', module: 'file-xfer', message: { type: 99 } }],
    ['an unknown kind', { kind: 'exec', path: '/bin/sh' }],
    ['an ack of no message', { kind: 'ack', count: 0 }],
    ['an ack of a fractional count', { kind: 'ack', count: 1.5 }],
    ['an ack of a count that is not a number', { kind: 'ack', count: '9' }],
  ])('refuses %s', (_what, value) => {
    expect(isFromHelper(value)).toBe(false);
  });

  it('accepts any hello: its version is judged by the version check, so a helper of any release is heard and stopped', () => {
    expect(isFromHelper({ kind: 'hello' })).toBe(true);
    expect(isFromHelper({ kind: 'hello', version: { package: '0.2.0', channel: 1 } })).toBe(true);
    expect(isFromHelper({ kind: 'hello', version: 'from the future' })).toBe(true);
  });

  it('accepts an ack of a positive whole count', () => {
    expect(isFromHelper({ kind: 'ack', count: 250 })).toBe(true);
  });

  it('accepts a module message of a defined type', () => {
    expect(isFromHelper({ kind: 'message', module: 'file-xfer', message: { type: MessageType.FileXferStatus, id: 1, result: 0 } })).toBe(true);
  });
});
