import { describe, expect, it } from 'vitest';
import { isFromHelper } from '../../../src/session/ipc.js';

describe('the helper saying a request it held is closed', () => {
  it('is accepted with a module name and a 32-bit id', () => {
    expect(isFromHelper({ kind: 'closed', module: 'file-xfer', id: 0 })).toBe(true);
    expect(isFromHelper({ kind: 'closed', module: 'file-xfer', id: 0xffffffff })).toBe(true);
  });

  it.each([
    ['without a module', { kind: 'closed', id: 1 }],
    ['with an id that is not a number', { kind: 'closed', module: 'file-xfer', id: '1' }],
    ['with a fractional id', { kind: 'closed', module: 'file-xfer', id: 1.5 }],
    ['with a negative id', { kind: 'closed', module: 'file-xfer', id: -1 }],
    ['with an id beyond 32 bits', { kind: 'closed', module: 'file-xfer', id: 2 ** 32 }],
  ])('is refused %s', (_what, value) => {
    expect(isFromHelper(value)).toBe(false);
  });
});
