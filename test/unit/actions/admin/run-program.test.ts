import { describe, expect, it } from 'vitest';
import { runProgram } from '../../../../src/actions/admin/run-program.js';

describe('running an admin program', () => {
  it('feeds its standard input when asked, and closes it', async () => {
    const end = await runProgram('/bin/cat', [], { stdin: Buffer.from('user:secret\n') });
    expect(end).toEqual({ code: 0, signal: null, output: 'user:secret\n' });
  });

  it('reports the exit status of a program that ends without reading its input (no EPIPE)', async () => {
    const end = await runProgram('/bin/sh', ['-c', 'exit 3'], { stdin: Buffer.alloc(4 * 1024 * 1024, 0x61) });
    expect(end).toMatchObject({ code: 3, signal: null });
  });

  it('runs it under the argv[0] asked for', async () => {
    const named = await runProgram('/bin/sh', ['-c', 'tr "\\0" " " < /proc/$$/cmdline'], { argv0: 'chpasswd' });
    expect(named.output.split(' ')[0]).toBe('chpasswd');
  });

  it('keeps standard input closed without it', async () => {
    expect((await runProgram('/bin/cat', [])).output).toBe('');
  });
});
