import { describe, expect, it } from 'vitest';
import { DisplayErrorCode } from '../../../../src/platform/display/backend.js';
import { runTool } from '../../../../src/platform/display/tool.js';
import { alive } from '../../../support/proc.js';

const env = { PATH: '/usr/bin:/bin' };
const done = { stderr: 'setop exec returned', graceMs: 200 };
/** Runs `script` in a real shell as the display tool. */
const sh = (script: string, marker = done): Promise<string> => runTool('/bin/sh', ['-c', script], env, marker);

describe('running a display tool that may hang once its work is done', () => {
  it('resolves with its output once the marker was written, even in two pieces, and kills it after the grace', async () => {
    const out = await sh(`echo $$; printf 'setop ex' >&2; sleep 0.1; printf 'ec returned\\n' >&2; exec sleep 60`);
    expect(alive(Number(out.trim()))).toBe(false);
  });

  it('takes the work as done however the tool ends after the marker (a crash on its way out)', async () => {
    await expect(sh(`echo applied; echo 'setop exec returned' >&2; exit 134`)).resolves.toBe('applied\n');
  });

  it('fails with ToolFailed when the tool fails before writing the marker', async () => {
    await expect(sh(`echo 'no such output' >&2; exit 3`)).rejects.toMatchObject({ code: DisplayErrorCode.ToolFailed });
  });

  it('without a marker, a tool that fails is a failure whatever it wrote', async () => {
    await expect(runTool('/bin/sh', ['-c', `echo 'setop exec returned' >&2; exit 1`], env)).rejects.toMatchObject({ code: DisplayErrorCode.ToolFailed });
  });
});
