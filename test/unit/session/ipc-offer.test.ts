import { describe, expect, it } from 'vitest';
import { Capability } from '../../../src/protocol/index.js';
import { isFromHelper } from '../../../src/session/ipc.js';

describe('the helper saying which capability bits a module can serve now', () => {
  it('is accepted with a module name and a list of bit numbers, the empty list included', () => {
    expect(isFromHelper({ kind: 'offer', module: 'audio', capabilities: [Capability.AudioVolumeSync] })).toBe(true);
    expect(isFromHelper({ kind: 'offer', module: 'audio', capabilities: [] })).toBe(true);
  });

  it.each([
    ['without a module', { kind: 'offer', capabilities: [11] }],
    ['with bits that are not a list', { kind: 'offer', module: 'audio', capabilities: 11 }],
    ['with a bit that is not a number', { kind: 'offer', module: 'audio', capabilities: ['11'] }],
    ['with a negative bit', { kind: 'offer', module: 'audio', capabilities: [-1] }],
    ['with a fractional bit', { kind: 'offer', module: 'audio', capabilities: [1.5] }],
    ['with a bit beyond 255', { kind: 'offer', module: 'audio', capabilities: [256] }],
    ['with more bits than any module has', { kind: 'offer', module: 'audio', capabilities: Array.from({ length: 33 }, (_, i) => i) }],
  ])('is refused %s', (_what, value) => {
    expect(isFromHelper(value)).toBe(false);
  });
});
