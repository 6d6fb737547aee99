import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadActions, parseSettings } from '../../../src/actions/actions-d.js';
import { enabledModules } from '../../../src/actions/resolve.js';
import { checkOnOff } from '../../../src/actions/on-off.js';
import { type ModuleDefinition } from '../../../src/actions/registry.js';
import { GraphicsDeviceInfoModule } from '../../../src/actions/graphics-device-info/module.js';
import { describeActions } from '../../../src/commands/actions.js';
import { memoryLogger } from '../../support/log.js';

let root: string;
let vendor: string;
let admin: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'actions-'));
  chmodSync(root, 0o755);
  vendor = join(root, 'vendor');
  admin = join(root, 'admin');
  mkdirSync(vendor, { mode: 0o755 });
  mkdirSync(admin, { mode: 0o755 });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes an entry file with safe permissions. */
function entry(dir: string, name: string, content = ''): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o644 });
  chmodSync(path, 0o644);
  return path;
}

const asRoot = process.getuid?.() === 0;

describe('loadActions', () => {
  it('enables an entry named after an action, with its content', () => {
    entry(vendor, 'mouse', 'x = 1\n');
    const set = loadActions([vendor, admin]);
    expect(set.get('mouse')).toMatchObject({ enabled: true, content: 'x = 1\n', path: join(vendor, 'mouse') });
  });

  it('lets a later directory’s entry of the same name replace the earlier one', () => {
    entry(vendor, 'mouse', 'a = 1');
    const override = entry(admin, 'mouse', 'a = 2');
    const set = loadActions([vendor, admin]);
    expect(set.get('mouse')).toMatchObject({ path: override, content: 'a = 2', overrides: join(vendor, 'mouse') });
  });

  it('masks an entry linked to /dev/null', () => {
    entry(vendor, 'mouse');
    symlinkSync('/dev/null', join(admin, 'mouse'));
    expect(loadActions([vendor, admin]).get('mouse')?.enabled).toBe(false);
  });

  it('follows a link into actions.available (how admin actions are enabled)', () => {
    const available = join(root, 'available');
    mkdirSync(available, { mode: 0o755 });
    entry(available, 'exec', '/usr/bin/true\n');
    symlinkSync(join(available, 'exec'), join(admin, 'exec'));
    expect(loadActions([vendor, admin]).get('exec')).toMatchObject({ enabled: true, content: '/usr/bin/true\n' });
  });

  it.each(['mouse~', 'mouse.bak', 'mouse.orig', 'mouse.dpkg-old', 'mouse.dpkg-dist', 'mouse.rpmnew', 'mouse.rpmsave', 'mouse.sample', '.hidden'])(
    'ignores the leftover %s',
    (name) => {
      entry(vendor, name);
      expect([...loadActions([vendor]).keys()]).toEqual([]);
    },
  );

  it('treats a missing directory as empty', () => {
    expect(loadActions([join(root, 'nope')]).size).toBe(0);
  });

  describe.runIf(asRoot)('as root', () => {
    it('refuses an entry writable by group or others, naming it in the log', () => {
      const path = entry(admin, 'mouse');
      chmodSync(path, 0o666);
      const { log, lines } = memoryLogger();
      expect(loadActions([admin], { log }).has('mouse')).toBe(false);
      expect(lines().some((l) => l.includes(path) && l.includes('writable by group or others'))).toBe(true);
    });

    it('refuses an entry owned by another user', () => {
      const path = entry(admin, 'mouse');
      chownSync(path, 65534, 65534);
      const { log, lines } = memoryLogger();
      expect(loadActions([admin], { log }).has('mouse')).toBe(false);
      expect(lines().some((l) => l.includes('owned by uid 65534'))).toBe(true);
    });

    it('refuses every entry of a directory others can write', () => {
      entry(admin, 'mouse');
      chmodSync(admin, 0o777);
      expect(loadActions([admin]).size).toBe(0);
    });

    it('keeps the earlier entry when a later one is refused', () => {
      entry(vendor, 'mouse', 'a = 1');
      chmodSync(entry(admin, 'mouse', 'a = 2'), 0o646);
      expect(loadActions([vendor, admin]).get('mouse')?.content).toBe('a = 1');
    });
  });
});

describe('parseSettings', () => {
  it('reads key = value lines, skipping comments and blank lines', () => {
    const { settings, problems } = parseSettings('# comment\n\nauto-resize = off  # trailing\nname=value\n');
    expect([...settings]).toEqual([
      ['auto-resize', 'off'],
      ['name', 'value'],
    ]);
    expect(problems).toEqual([]);
  });

  it('reports a line that is not key = value with its number', () => {
    expect(parseSettings('a = 1\nnonsense\n').problems).toEqual([{ line: 2, text: expect.any(String) }]);
  });
});

describe('enabledModules', () => {
  const definitions: ModuleDefinition[] = [
    { name: 'graphics-device-info', settings: { verbose: checkOnOff }, create: () => new GraphicsDeviceInfoModule() },
  ];

  it('warns about an unknown key with file and line, and keeps the module on', () => {
    const path = entry(vendor, 'graphics-device-info', '\ncolour = blue\n');
    const { log, lines } = memoryLogger();
    expect(enabledModules(loadActions([vendor]), log, definitions)).toHaveLength(1);
    expect(lines().some((l) => l.includes(`${path}:2`) && l.includes('unknown setting colour'))).toBe(true);
  });

  it('keeps a module with an invalid value off, with a clear log line', () => {
    entry(vendor, 'graphics-device-info', 'verbose = maybe\n');
    const { log, lines } = memoryLogger();
    expect(enabledModules(loadActions([vendor]), log, definitions)).toEqual([]);
    expect(lines().some((l) => l.includes('stays off'))).toBe(true);
  });

  it('reports an entry that names no built-in action', () => {
    entry(vendor, 'teleport');
    const { log, lines } = memoryLogger();
    enabledModules(loadActions([vendor]), log, definitions);
    expect(lines().some((l) => l.includes('no built-in action named teleport'))).toBe(true);
  });
});

describe('vdagent actions', () => {
  it('prints each action, whether it is on, and the file that decided it', () => {
    entry(vendor, 'graphics-device-info');
    symlinkSync('/dev/null', join(admin, 'graphics-device-info'));
    entry(admin, 'teleport');
    const lines = describeActions([vendor, admin]);
    expect(lines.find((l) => l.startsWith('graphics-device-info'))).toMatch(
      new RegExp(`masked +${join(admin, 'graphics-device-info')} -> /dev/null \\(overrides ${join(vendor, 'graphics-device-info')}\\)`),
    );
    expect(lines.find((l) => l.startsWith('exec'))).toMatch(/off +\(no entry\)/);
    expect(lines.find((l) => l.startsWith('teleport'))).toMatch(/unknown/);
  });
});
