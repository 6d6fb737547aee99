import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findVirtioPort, waitForVirtioPort } from '../../../src/transport/discovery.js';

const SPICE = 'com.redhat.spice.0';

describe('findVirtioPort', () => {
  let root: string;
  let devDir: string;
  let sysDir: string;

  /** Lays out a port like the kernel and udev do: sysfs entry with a name file, /dev node. */
  function addPort(entry: string, name: string, { udevLink = false } = {}): void {
    mkdirSync(join(sysDir, entry), { recursive: true });
    writeFileSync(join(sysDir, entry, 'name'), `${name}\n`);
    writeFileSync(join(devDir, entry), '');
    if (udevLink) {
      mkdirSync(join(devDir, 'virtio-ports'), { recursive: true });
      symlinkSync(`../${entry}`, join(devDir, 'virtio-ports', name));
    }
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vdagent-discovery-'));
    devDir = join(root, 'dev');
    sysDir = join(root, 'sys/class/virtio-ports');
    mkdirSync(devDir, { recursive: true });
    mkdirSync(sysDir, { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prefers the udev link /dev/virtio-ports/<name>', async () => {
    addPort('vport1p1', 'org.qemu.guest_agent.0', { udevLink: true });
    addPort('vport2p1', SPICE, { udevLink: true });
    expect(await findVirtioPort(SPICE, { devDir, sysDir })).toBe(join(devDir, 'virtio-ports', SPICE));
  });

  it('falls back to the sysfs entry whose name file matches, giving /dev/<entry>', async () => {
    addPort('vport1p1', 'org.qemu.guest_agent.0');
    addPort('vport2p1', SPICE);
    expect(await findVirtioPort(SPICE, { devDir, sysDir })).toBe(join(devDir, 'vport2p1'));
    expect(await findVirtioPort('org.qemu.guest_agent.0', { devDir, sysDir })).toBe(join(devDir, 'vport1p1'));
  });

  it('falls back to sysfs when the udev link dangles', async () => {
    addPort('vport2p1', SPICE);
    mkdirSync(join(devDir, 'virtio-ports'));
    symlinkSync('../vport9p9', join(devDir, 'virtio-ports', SPICE));
    expect(await findVirtioPort(SPICE, { devDir, sysDir })).toBe(join(devDir, 'vport2p1'));
  });

  it('needs an exact name match (after trimming the newline)', async () => {
    addPort('vport2p1', `${SPICE}.backup`);
    addPort('vport3p1', SPICE.slice(0, -1));
    expect(await findVirtioPort(SPICE, { devDir, sysDir })).toBeUndefined();
  });

  it('skips entries without a name file', async () => {
    mkdirSync(join(sysDir, 'vport0p0'));
    addPort('vport2p1', SPICE);
    expect(await findVirtioPort(SPICE, { devDir, sysDir })).toBe(join(devDir, 'vport2p1'));
  });

  it('returns undefined when there is no virtio-ports class at all', async () => {
    rmSync(sysDir, { recursive: true });
    expect(await findVirtioPort(SPICE, { devDir, sysDir })).toBeUndefined();
  });

  it('refuses names that are not a single path component', async () => {
    addPort('vport2p1', SPICE, { udevLink: true });
    expect(await findVirtioPort(`../virtio-ports/${SPICE}`, { devDir, sysDir })).toBeUndefined();
    expect(await findVirtioPort('..', { devDir, sysDir })).toBeUndefined();
    expect(await findVirtioPort('', { devDir, sysDir })).toBeUndefined();
  });
});

describe('waitForVirtioPort', () => {
  it('resolves when the port appears later (udev link), without polling', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'dev-'));
    const sys = mkdtempSync(join(tmpdir(), 'sys-'));
    const waiting = waitForVirtioPort('com.redhat.spice.0', { devDir: dev, sysDir: sys });
    await new Promise((r) => setTimeout(r, 100));
    mkdirSync(join(dev, 'virtio-ports'));
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(join(dev, 'virtio-ports', 'com.redhat.spice.0'), '');
    expect(await waiting).toBe(join(dev, 'virtio-ports', 'com.redhat.spice.0'));
  });

  it('resolves with undefined when aborted', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'dev-'));
    const abort = new AbortController();
    const waiting = waitForVirtioPort('org.qemu.guest_agent.0', { devDir: dev, sysDir: dev, signal: abort.signal });
    abort.abort();
    expect(await waiting).toBeUndefined();
  });

  it('resolves with undefined when aborted before it began (the abort event came and went)', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'dev-'));
    const abort = new AbortController();
    abort.abort();
    const waiting = waitForVirtioPort('org.qemu.guest_agent.0', { devDir: dev, sysDir: dev, signal: abort.signal });
    expect(await Promise.race([waiting, new Promise((r) => setTimeout(() => r('still waiting'), 2000))])).toBeUndefined();
  });
});
