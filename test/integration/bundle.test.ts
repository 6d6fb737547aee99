import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/protocol/index.js';
import { installedVersion } from '../../src/session/version.js';
import { ROOT, startPtyHarness } from '../support/harness.js';

describe('the bundle the package ships (packaging/bundle.mjs)', () => {
  let dir: string;
  let dist: string;
  beforeAll(() => {
    // Inside the tree, as in the package: the native addons' packages resolve from node_modules above.
    mkdirSync(join(ROOT, 'build'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'build', 'bundle-test-'));
    dist = join(dir, 'dist');
    execFileSync(process.execPath, [join(ROOT, 'packaging', 'bundle.mjs'), dist]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds beside its pieces every script they start by a path relative to themselves (worker, child)', () => {
    const named = readdirSync(dist).flatMap((file) => [...readFileSync(join(dist, file), 'utf8').matchAll(/new URL\("\.\/([^"]+)", import\.meta\.url\)/g)].map((m) => m[1] as string));
    expect(named).toEqual(expect.arrayContaining(['fstrim-worker.js', 'fsfreeze-worker.js', 'hotplug-worker.js', 'authorized-keys-child.js', 'exec-bytes-child.js']));
    expect(named.filter((file) => !existsSync(join(dist, file)))).toEqual([]);
  });

  it('runs as the daemon: reads the version of the installation above it and announces on its port', async () => {
    const h = await startPtyHarness({ cli: join(dist, 'cli.js') });
    try {
      await h.sim.expect(MessageType.AnnounceCapabilities, { timeoutMs: 10_000 });
      expect(h.logs()).toContain(`vdagent daemon ${installedVersion().package}/`);
    } finally {
      await h.stop();
    }
  });
});
