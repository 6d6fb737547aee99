import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayErrorCode } from '../../../../src/platform/display/backend.js';
import { WlrootsBackend } from '../../../../src/platform/display/wlroots.js';
import { ROOT } from '../../../support/harness.js';
import { startFakeSwayIpc, swayOutput } from '../../../support/fake-sway-ipc.js';
import { writeDrmSysfs } from '../../../support/sysfs.js';

// sway through its IPC socket (a stand-in speaking its protocol), other wlroots compositors through
// wlr-randr (a stand-in that, as sway 1.10 with custom modes on virtio-gpu, answers success and
// changes nothing); the kernel's connectors in a sysfs tree of the test's own.

describe('the wlroots backend: sway through its IPC when SWAYSOCK answers, else wlr-randr; every apply read back', () => {
  let dir: string;
  let sys: string;
  const request = (width: number, height: number, x = 0) => ({ name: 'Virtual-1', enabled: true as const, x, y: 0, width, height, primary: true });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wlroots-'));
    sys = join(dir, 'sys');
    writeDrmSysfs(sys, [{ name: 'card0', pci: 'pci0000:00/0000:00:02.0', connectors: [{ name: 'Virtual-1', modes: ['1152x720', '1280x800', '1024x768'] }] }]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sway: the outputs from get_outputs with the kernel’s preferred mode; a size it does not list is applied as a custom mode and read back', async () => {
    const before = swayOutput('Virtual-1', 1280, 800, 0, ['1280x800', '1024x768']);
    const after = swayOutput('Virtual-1', 1152, 720, 0, ['1280x800', '1024x768']);
    const sway = await startFakeSwayIpc(join(dir, 'applies.sock'), [[before], [before], [after]]);
    const backend = new WlrootsBackend({ SWAYSOCK: sway.path, WAYLAND_DISPLAY: 'wayland-1' }, sys);
    expect(await backend.outputs()).toEqual([{ name: 'Virtual-1', enabled: true, x: 0, y: 0, width: 1280, height: 800, preferred: { width: 1152, height: 720 } }]);
    await backend.apply([request(1152, 720)]);
    expect(sway.commands).toEqual(['output Virtual-1 enable mode --custom 1152x720@60Hz pos 0 0']);
    expect(sway.reads()).toBe(3);
    await sway.close();
  });

  it('sway: a compositor that answers success and keeps the output as it was fails the apply with NotApplied', async () => {
    const kept = swayOutput('Virtual-1', 1280, 800, 0, ['1280x800', '1024x768']);
    const sway = await startFakeSwayIpc(join(dir, 'keeps.sock'), [[kept]]);
    const backend = new WlrootsBackend({ SWAYSOCK: sway.path }, sys);
    await expect(backend.apply([request(1024, 768, 10)])).rejects.toMatchObject({ code: DisplayErrorCode.NotApplied });
    expect(sway.commands).toEqual(['output Virtual-1 enable mode 1024x768 pos 10 0']);
    await sway.close();
  });

  it('a stale SWAYSOCK (sway gone) falls back to wlr-randr, whose read-back catches a custom mode kept out', async () => {
    const stale = join(dir, 'stale.sock');
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
    const state = join(dir, 'wlr-randr.txt');
    const calls = join(dir, 'wlr-randr.calls');
    writeFileSync(state, ['Virtual-1 "QEMU Monitor"', '  Enabled: yes', '  Modes:', '    1280x800 px, 60.000000 Hz (preferred)', '    1024x768 px, 60.000000 Hz (current)', '  Position: 0,0', '  Scale: 1.000000', ''].join('\n'));
    const env = { SWAYSOCK: stale, PATH: `${ROOT}test/fixtures/wlr-randr:${process.env.PATH ?? ''}`, WLR_RANDR_STATE: state, WLR_RANDR_CALLS: calls };
    const backend = new WlrootsBackend(env, sys);
    await backend.apply([request(1024, 768)]);
    await expect(backend.apply([request(1152, 720)])).rejects.toMatchObject({ code: DisplayErrorCode.NotApplied });
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['--output Virtual-1 --on --mode 1024x768 --pos 0,0', '--output Virtual-1 --on --custom-mode 1152x720 --pos 0,0']);
  });

  it('sway refusing a command is Refused; a request for an output sway does not have is NoSuchOutput, and nothing is sent', async () => {
    const outputs = [swayOutput('Virtual-1', 1280, 800, 0, ['1280x800'])];
    const refusing = await startFakeSwayIpc(join(dir, 'refuses.sock'), [outputs], { refuse: 'Invalid output subcommand' });
    await expect(new WlrootsBackend({ SWAYSOCK: refusing.path }, sys).apply([request(800, 600)])).rejects.toMatchObject({ code: DisplayErrorCode.Refused });
    await refusing.close();
    const sway = await startFakeSwayIpc(join(dir, 'no-output.sock'), [outputs]);
    await expect(new WlrootsBackend({ SWAYSOCK: sway.path }, sys).apply([{ ...request(800, 600), name: 'Virtual-2' }])).rejects.toMatchObject({ code: DisplayErrorCode.NoSuchOutput });
    expect(sway.commands).toEqual([]);
    await sway.close();
  });
});
