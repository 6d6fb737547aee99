import { describe, expect, it } from 'vitest';
import { fstrim, trimAll, type TrimResult } from '../../../../src/actions/admin/fstrim.js';
import { checkArgs, encodeJson, findCommand, jsonObject } from '../../../../src/qga/index.js';

const args = (minimum?: number) => checkArgs(findCommand('guest-fstrim')?.args ?? [], jsonObject({ minimum }));

describe('guest-fstrim', () => {
  it('reports, per path, why a directory cannot be trimmed, in qemu-ga\'s words, the last one first', () => {
    expect(trimAll(['/nonexistent-fstrim-dir', '/proc'], 0n)).toEqual([
      { path: '/proc', error: 'trim not supported' },
      { path: '/nonexistent-fstrim-dir', error: 'failed to open: No such file or directory' },
    ]);
  });

  it('passes the minimum on, and answers GuestFilesystemTrimResponse with the members each result has, in qemu-ga’s member order', async () => {
    let asked: bigint | undefined;
    const trim = (dirs: readonly string[], minimum: bigint): Promise<TrimResult[]> => {
      asked = minimum;
      return Promise.resolve([...dirs].reverse().map((path, i) => (i === 0 ? { path, trimmed: 4096n, minimum } : { path, error: 'trim not supported' })));
    };
    const answer = await fstrim(args(65536), trim, () => ['/', '/srv']);
    expect(asked).toBe(65536n);
    expect(encodeJson(answer)).toBe('{"paths": [{"minimum": 65536, "path": "/srv", "trimmed": 4096}, {"path": "/", "error": "trim not supported"}]}');
  });

  it('asks from 0 bytes up without a minimum', async () => {
    let asked: bigint | undefined;
    await fstrim(args(), (_dirs, minimum) => ((asked = minimum), Promise.resolve([])), () => []);
    expect(asked).toBe(0n);
  });
});
