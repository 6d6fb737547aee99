import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAverage, parseCpuStats, parseLoadAverage, vcpus } from '../../../../src/actions/admin/cpu.js';
import { encodeJson, JsonFloat, QgaError, QgaErrorCode } from '../../../../src/qga/index.js';

describe('guest-get-vcpus from a sysfs cpu directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), 'vcpus-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists cpuN directories: no online file is online and fixed, otherwise its first byte decides', () => {
    for (const name of ['cpu0', 'cpu1', 'cpu2', 'cpufreq', 'cpuidle']) mkdirSync(join(dir, name));
    writeFileSync(join(dir, 'cpu1', 'online'), '1\n');
    writeFileSync(join(dir, 'cpu2', 'online'), '0\n');
    writeFileSync(join(dir, 'online'), '0-1\n');
    const list = vcpus(dir).map((v) => Object.fromEntries(v));
    expect(list.sort((a, b) => (a['logical-id'] as number) - (b['logical-id'] as number))).toEqual([
      { 'logical-id': 0, online: true, 'can-offline': false },
      { 'logical-id': 1, online: true, 'can-offline': true },
      { 'logical-id': 2, online: false, 'can-offline': true },
    ]);
  });

  it('fails as qemu-ga does on an empty online file', () => {
    mkdirSync(join(dir, 'cpu3'));
    writeFileSync(join(dir, 'cpu3', 'online'), '');
    expect(() => vcpus(dir)).toThrow(new QgaError(QgaErrorCode.CommandFailed, `pread("${dir}/cpu3//online"): unexpected EOF`));
  });

  it('fails as qemu-ga does when the directory cannot be listed', () => {
    expect(() => vcpus(join(dir, 'missing'))).toThrow(new QgaError(QgaErrorCode.CommandFailed, `failed to list entries: ${join(dir, 'missing')}: No such file or directory`));
  });
});

describe('guest-get-cpustats from /proc/stat', () => {
  it('reports each cpuN line in milliseconds, never the total line, as the "linux" union member', () => {
    const text = 'cpu  421522 0 154039 301514 1279 0 2454 0 0 0\ncpu0 208354 1 74813 155884 237 2 916 3 4 5\nintr 1 2 3\nctxt 99\n';
    expect(encodeJson(parseCpuStats(text))).toBe(
      '[{"cpu": 0, "guestnice": 50, "idle": 1558840, "steal": 30, "iowait": 2370, "system": 748130, "guest": 40, "nice": 10, "irq": 20, "type": "linux", "user": 2083540, "softirq": 9160}]',
    );
  });

  it('fills only the members the kernel line has, as qemu-ga does, and stops at a line too short to read', () => {
    const list = parseCpuStats('cpu0 1 2 3 4\ncpu1 1 2 3 4 5\ncpu2 1 2 3 4 5 6 7\ncpu3 1 2 3\ncpu4 1 2 3 4\n').map((s) => [...s.keys()].sort());
    expect(list).toEqual([
      ['cpu', 'idle', 'nice', 'system', 'type', 'user'],
      ['cpu', 'idle', 'iowait', 'nice', 'system', 'type', 'user'],
      ['cpu', 'idle', 'iowait', 'irq', 'nice', 'softirq', 'system', 'type', 'user'],
    ]);
  });

  it('keeps 64-bit counters exact', () => {
    expect(parseCpuStats('cpu7 18446744073709551 0 0 0\n')[0]?.get('user')).toBe(184467440737095510n);
  });
});

describe('guest-get-load from /proc/loadavg', () => {
  it('reads the three averages as numbers, named as qemu 10.0 names them', () => {
    expect(parseLoadAverage('0.66 0.91 1.80 1/99 16724\n')).toEqual(new Map([['load1m', new JsonFloat(0.66)], ['load5m', new JsonFloat(0.91)], ['load15m', new JsonFloat(1.8)]]));
  });

  it('has no answer for text that is not load averages, and fails as getloadavg does', () => {
    expect(parseLoadAverage('0.66 x\n')).toBeUndefined();
    const dir = mkdtempSync(join(os.tmpdir(), 'loadavg-'));
    try {
      writeFileSync(join(dir, 'loadavg'), 'not numbers\n');
      expect(() => loadAverage(join(dir, 'loadavg'))).toThrow(new QgaError(QgaErrorCode.CommandFailed, 'cannot query load average: Invalid argument'));
      expect(() => loadAverage(join(dir, 'missing'))).toThrow(new QgaError(QgaErrorCode.CommandFailed, 'cannot query load average: No such file or directory'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
