import { describe, expect, it } from 'vitest';
import { DisplayErrorCode } from '../../../../src/platform/display/backend.js';
import { parseSwayOutputs, swayCommandErrors, swayCommands } from '../../../../src/platform/display/sway.js';

describe('sway’s IPC: get_outputs read, output commands built, run_command results checked', () => {
  it('get_outputs: a custom current mode (virtio-gpu after a host resize) is not taken for a listed one; a disabled output has no size and a scale of 1', () => {
    const answer = [
      {
        name: 'Virtual-1',
        active: true,
        rect: { x: 0, y: 0, width: 1152, height: 720 },
        scale: 1.0,
        modes: [
          { width: 1280, height: 800, refresh: 60000 },
          { width: 1024, height: 768, refresh: 60004 },
        ],
        current_mode: { width: 1152, height: 720, refresh: 59975 },
      },
      { name: 'Virtual-2', active: true, rect: { x: 576, y: 0, width: 512, height: 384 }, scale: 2.0, modes: [{ width: 1024, height: 768, refresh: 60000 }], current_mode: { width: 1024, height: 768, refresh: 60000 } },
      { name: 'Virtual-3', active: false, rect: { x: 0, y: 0, width: 0, height: 0 }, modes: [{ width: 800, height: 600, refresh: 60000 }] },
    ];
    expect(parseSwayOutputs(answer)).toEqual([
      {
        name: 'Virtual-1',
        enabled: true,
        x: 0,
        y: 0,
        scale: 1,
        modes: [
          { width: 1280, height: 800, current: false, preferred: false },
          { width: 1024, height: 768, current: false, preferred: false },
        ],
        custom: { width: 1152, height: 720 },
      },
      { name: 'Virtual-2', enabled: true, x: 576, y: 0, scale: 2, modes: [{ width: 1024, height: 768, current: true, preferred: false }] },
      { name: 'Virtual-3', enabled: false, x: 0, y: 0, scale: 1, modes: [{ width: 800, height: 600, current: false, preferred: false }] },
    ]);
  });

  it('get_outputs: another shape is a BadAnswer', () => {
    expect(() => parseSwayOutputs({ outputs: [] })).toThrow(expect.objectContaining({ code: DisplayErrorCode.BadAnswer }));
    expect(() => parseSwayOutputs([{ active: true }])).toThrow(expect.objectContaining({ code: DisplayErrorCode.BadAnswer }));
  });

  it('output commands: a listed size by name, any other as a 60 Hz custom mode, the position in logical pixels; disable', () => {
    expect(
      swayCommands([
        { name: 'Virtual-1', enabled: true, width: 1152, height: 720, x: 0, y: 0, listed: false },
        { name: 'Virtual-2', enabled: true, width: 1024, height: 768, x: 1152, y: 0, listed: true },
        { name: 'HEADLESS-1', enabled: false },
      ]),
    ).toBe('output Virtual-1 enable mode --custom 1152x720@60Hz pos 0 0; output Virtual-2 enable mode 1024x768 pos 1152 0; output HEADLESS-1 disable');
  });

  it('output commands: a name sway’s parser would not take as one word is refused, not quoted', () => {
    for (const name of ['Virtual-1; exit', 'a b', '"x"', 'HDMI-A-1,exec foo', ''])
      expect(() => swayCommands([{ name, enabled: false }])).toThrow(expect.objectContaining({ code: DisplayErrorCode.BadAnswer }));
  });

  it('run_command: the errors of the commands that failed; another shape is a BadAnswer', () => {
    expect(swayCommandErrors([{ success: true }, { success: true }])).toEqual([]);
    expect(swayCommandErrors([{ success: true }, { success: false, parse_error: true, error: 'Invalid output subcommand: mod.' }, { success: false }])).toEqual(['Invalid output subcommand: mod.', 'failed']);
    expect(() => swayCommandErrors({ success: true })).toThrow(expect.objectContaining({ code: DisplayErrorCode.BadAnswer }));
  });
});
