import { describe, expect, it } from 'vitest';
import { isFromHelper } from '../../../src/session/ipc.js';

describe('the helper confirming a reset', () => {
  it('is accepted with a module name', () => {
    expect(isFromHelper({ kind: 'reset', module: 'clipboard' })).toBe(true);
  });

  it.each([
    ['without a module', { kind: 'reset' }],
    ['with a module that is not a name', { kind: 'reset', module: 3 }],
  ])('is refused %s', (_what, value) => {
    expect(isFromHelper(value)).toBe(false);
  });
});
