import { describe, expect, it } from 'vitest';
import { checkOnOff, isOn } from '../../../src/actions/on-off.js';

describe('on/off settings (auto-resize, primary, …)', () => {
  it('accepts on, yes and true, and off, no and false, and nothing else', () => {
    for (const word of ['on', 'yes', 'true', 'off', 'no', 'false']) expect(checkOnOff(word)).toBeUndefined();
    for (const word of ['On', '1', '', 'enabled']) expect(checkOnOff(word)).toBeTypeOf('string');
  });

  it('reads a checked value, and the module’s default when the setting is absent', () => {
    expect(['on', 'yes', 'true'].map((w) => isOn(w, false))).toEqual([true, true, true]);
    expect(['off', 'no', 'false'].map((w) => isOn(w, true))).toEqual([false, false, false]);
    expect([isOn(undefined, true), isOn(undefined, false)]).toEqual([true, false]);
  });
});
