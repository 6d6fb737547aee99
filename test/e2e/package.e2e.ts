import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/harness.js';
import { CommandError, run } from './support/exec.js';
import { packagePath } from './support/package.js';

/** What a command printed, whether it succeeded or not. */
const output = (file: string, args: string[]): Promise<string> =>
  run(file, args).catch((err: unknown) => {
    if (err instanceof CommandError) return err.output;
    throw err;
  });

describe('the Debian package', () => {
  let deb: string;
  let files: string[];
  beforeAll(async () => {
    deb = await packagePath();
    files = (await run('dpkg-deb', ['--contents', deb])).split('\n').map((l) => l.replace(/^.* \.\//, '/').replace(/ -> .*$/, ''));
  });

  it('holds the launcher, the unit, the udev rule, actions.d, the profiles, the man pages and the application', () => {
    for (const path of [
      '/usr/bin/vdagent',
      '/usr/lib/systemd/system/vdagent.service',
      '/usr/lib/udev/rules.d/60-vdagent.rules',
      '/usr/lib/vdagent/actions.d/graphics-device-info',
      '/usr/share/vdagent/actions.available/',
      '/etc/vdagent/actions.d/',
      '/usr/share/vdagent/profiles/libvirt/actions',
      '/usr/share/vdagent/profiles/libvirt/vdagent.service.d/libvirt.conf',
      '/usr/share/vdagent/profiles/kubevirt/actions',
      '/usr/share/vdagent/profiles/kubevirt/vdagent.service.d/kubevirt.conf',
      '/usr/share/vdagent/profiles/proxmox/actions',
      '/usr/share/vdagent/profiles/proxmox/vdagent.service.d/proxmox.conf',
      '/usr/share/man/man8/vdagent.8.gz',
      '/usr/share/man/man5/vdagent-actions.d.5.gz',
      '/usr/lib/vdagent/app/package.json',
      '/usr/lib/vdagent/app/dist/cli.js',
      '/usr/share/doc/vdagent/copyright',
    ]) {
      expect(files).toContain(path);
    }
  });

  it("carries native addons for this machine's platform only", () => {
    const addons = files.filter((f) => f.endsWith('.node'));
    expect(addons.some((f) => f.includes('koffi'))).toBe(true);
    expect(addons.some((f) => f.includes('bindings-cpp'))).toBe(true);
    const platform = `${process.platform}-${process.arch}`;
    const koffiPlatform = `${process.platform}_${process.arch}`;
    expect(addons.filter((f) => !f.includes(`/${platform}/`) && !f.includes(`/${koffiPlatform}/`))).toEqual([]);
  });

  it('depends on Node.js 20 or later', async () => {
    expect(await run('dpkg-deb', ['--field', deb, 'Depends'])).toMatch(/^nodejs \(>= 20\)/);
  });

  it('passes lintian without errors', async () => {
    const tags = (await output('lintian', ['--allow-root', deb])).split('\n');
    expect(tags.filter((t) => t.startsWith('E: '))).toEqual([]);
  });

  it('runs sandboxed: systemd-analyze rates the unit 3.0 or lower', async () => {
    const report = await output('systemd-analyze', ['security', '--offline=true', join(ROOT, 'systemd', 'vdagent.service')]);
    const exposure = Number(/Overall exposure level for vdagent\.service: ([\d.]+)/.exec(report)?.[1]);
    expect(exposure).toBeLessThanOrEqual(3.0);
  });
});
