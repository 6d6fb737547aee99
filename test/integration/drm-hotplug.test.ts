import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DrmHotplugWatcher } from '../../src/platform/drm/hotplug-watcher.js';
import { memoryLogger } from '../support/log.js';
import { alive } from '../support/proc.js';
import { QXL_HOTPLUG, UDEVADM_BANNER } from '../support/udevadm-output.js';

// Nothing here has DRM (Xvfb and Xorg's dummy driver have no kernel device, and no udevd sends
// events in the test machine's container): a real child process stands in for `udevadm monitor`,
// printing what udevadm prints, behind the watcher's real interface. The real udevadm, with a qxl
// device's real hotplugs, is in test/e2e/drm-resize.e2e.ts.

/** A connector's own change event: no hotplug of a card. */
const CONNECTOR = QXL_HOTPLUG.replaceAll('drm/card0', 'drm/card0/card0-Virtual-1').replace('HOTPLUG=1\n', '');

const dir = mkdtempSync(join(tmpdir(), 'drm-hotplug-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('following DRM hotplugs through a udevadm monitor child process (a stand-in printing udevadm’s output)', () => {
  it('reports each card hotplug, not other events, and kills the monitor when closed', async () => {
    const pidFile = join(dir, 'pid');
    const cards: string[] = [];
    const { log } = memoryLogger();
    const watcher = new DrmHotplugWatcher((card) => cards.push(card), log, {
      command: ['/bin/sh', '-c', `echo $$ > ${pidFile}; printf '%s' "$OUT"; exec sleep 600`],
      env: { PATH: process.env.PATH, OUT: UDEVADM_BANNER + QXL_HOTPLUG + CONNECTOR + QXL_HOTPLUG.replaceAll('card0', 'card1') },
    });
    watcher.start();
    await expect.poll(() => cards, { timeout: 10_000 }).toEqual(['card0', 'card1']);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    await watcher.close();
    expect(alive(pid)).toBe(false);
  });

  it('starts a monitor that ended again with back-off, logging the same reason once', async () => {
    const cards: string[] = [];
    const { log, lines } = memoryLogger();
    const watcher = new DrmHotplugWatcher((card) => cards.push(card), log, {
      command: ['/bin/sh', '-c', `printf '%s' "$OUT"; echo 'Failed to bind netlink socket' >&2; exit 1`],
      env: { PATH: process.env.PATH, OUT: QXL_HOTPLUG },
      firstRestartMs: 20,
    });
    watcher.start();
    await expect.poll(() => cards.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await watcher.close();
    const warnings = lines().filter((l) => l.startsWith('warn: '));
    expect(warnings).toEqual(['warn: resolution: DRM hotplug monitor: /bin/sh ended (status 1): Failed to bind netlink socket; starting it again in 20 ms and with back-off']);
  });

  it('keeps trying when the monitor program is missing, and stops when closed', async () => {
    const { log, lines } = memoryLogger();
    const watcher = new DrmHotplugWatcher(() => undefined, log, { command: [join(dir, 'no-udevadm')], firstRestartMs: 20 });
    watcher.start();
    await expect.poll(() => lines().length, { timeout: 10_000 }).toBe(1);
    expect(lines()[0]).toMatch(/^warn: resolution: DRM hotplug monitor: .*ENOENT/);
    await new Promise((r) => setTimeout(r, 200));
    await watcher.close();
    expect(lines()).toHaveLength(1);
  });
});
