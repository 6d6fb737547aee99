import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setVcpus } from '../../../../src/actions/admin/vcpu-hotplug.js';
import { checkArgs, findCommand, jsonObject, QgaErrorCode } from '../../../../src/qga/index.js';

/** guest-set-vcpus' checked arguments for a list of [id, online]. */
const request = (...vcpus: [number, boolean][]) =>
  checkArgs(findCommand('guest-set-vcpus')?.args ?? [], jsonObject({ vcpus: vcpus.map(([id, online]) => jsonObject({ 'logical-id': id, online })) }));

describe('guest-set-vcpus on a sysfs cpu directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'vcpus-'));
    mkdirSync(join(dir, 'cpu0'));
    for (const [cpu, state] of [['cpu1', '1\n'], ['cpu2', '0\n'], ['cpu3', '']] as const) {
      mkdirSync(join(dir, cpu));
      writeFileSync(join(dir, cpu, 'online'), state);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const online = (cpu: string): string => readFileSync(join(dir, cpu, 'online'), 'latin1');

  it('writes 0 or 1 only where the state differs, and counts every processor done', () => {
    expect(setVcpus(request([1, false], [2, true], [0, true], [2, true]), dir)).toBe(4);
    expect([online('cpu1'), online('cpu2')]).toEqual(['0\n', '1\n']);
  });

  it('stops at the first failure and counts those before it', () => {
    expect(setVcpus(request([1, false], [9, true], [2, true]), dir)).toBe(1);
    expect(online('cpu2')).toBe('0\n');
  });

  it.each([
    [[9, true], `open("DIR/cpu9/"): No such file or directory`],
    [[-1, true], `open("DIR/cpu-1/"): No such file or directory`],
    [[0, false], 'logical processor #0 can\'t be offlined'],
    [[3, true], `pread("DIR/cpu3//online"): unexpected EOF`],
  ] as [[number, boolean], string][])('fails when the first one fails: %j: %s', (vcpu, desc) => {
    expect(() => setVcpus(request(vcpu), dir)).toThrow(expect.objectContaining({ code: QgaErrorCode.CommandFailed, desc: desc.replace('DIR', dir) }));
  });

  it('reports a file it cannot open as qemu-ga words open(2)\'s error', () => {
    rmSync(join(dir, 'cpu1', 'online'));
    mkdirSync(join(dir, 'cpu1', 'online'));
    chmodSync(join(dir, 'cpu1', 'online'), 0o755);
    expect(() => setVcpus(request([1, true]), dir)).toThrow(expect.objectContaining({ desc: `open("${dir}/cpu1//online"): Is a directory` }));
  });

  it('answers 0 for an empty list', () => {
    expect(setVcpus(request(), dir)).toBe(0);
  });
});
