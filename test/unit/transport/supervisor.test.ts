import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/transport/backoff.js';
import { openPortFor } from '../../../src/transport/open-port.js';
import { openPtyPair } from '../../../src/transport/pty.js';
import { PortSupervisor } from '../../../src/transport/supervisor.js';
import { memoryLogger } from '../../support/log.js';
import { ReplugPort } from '../../support/replug-port.js';

/** A back-off so long that only an immediate reopen or the folder's watch can reopen within a test. */
const forever = (): Backoff => new Backoff({ initialMs: 600_000, maxMs: 600_000 });

describe('PortSupervisor reopening without waiting out its back-off', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** A temporary folder, removed after the test. */
  function scratchDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A re-pluggable pty node and a supervisor (long back-off) for it, both closed after the test. */
  async function replugSupervisor(): Promise<{ plug: ReplugPort; sup: PortSupervisor }> {
    const plug = await ReplugPort.create(scratchDir());
    cleanup.push(() => plug.close());
    const sup = new PortSupervisor(openPortFor(plug.path), memoryLogger().log, forever());
    cleanup.push(() => sup.stop());
    return { plug, sup };
  }

  it('reopens at once a port that served and then hung up (the host came back, the node is there)', async () => {
    const { plug, sup } = await replugSupervisor();
    const opened = once(sup, 'open');
    await sup.start();
    await opened;
    sup.healthy();
    const reopened = once(sup, 'open');
    await plug.replug();
    await reopened;
    expect(sup.port.isOpen).toBe(true);
  });

  it('reopens when the device node appears in its folder, without polling for it', async () => {
    const dir = scratchDir();
    const path = join(dir, 'port');
    const sup = new PortSupervisor(openPortFor(path), memoryLogger().log, forever());
    cleanup.push(() => sup.stop());
    await sup.start();
    expect(sup.port.isOpen).toBe(false);
    const pty = openPtyPair();
    cleanup.push(() => pty.close());
    const opened = once(sup, 'open');
    symlinkSync(pty.slavePath, path);
    await opened;
    expect(sup.port.isOpen).toBe(true);
  });

  it('keeps its back-off for a port that never served', async () => {
    const { plug, sup } = await replugSupervisor();
    await sup.start();
    const down = once(sup, 'down');
    await plug.replug(); // the folder changes before the hang-up: the watch is not armed yet
    await down;
    await new Promise((r) => setTimeout(r, 200));
    expect(sup.port.isOpen).toBe(false);
  });
});
