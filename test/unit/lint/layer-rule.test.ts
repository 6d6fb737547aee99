import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The layer-rule findings the repository's own ESLint config reports for `code` placed at `file`. */
async function layerFindings(file: string, code: string): Promise<(string | undefined)[]> {
  // The snippet is not part of the TypeScript program, so the type-aware rules are switched off for it.
  const eslint = new ESLint({ cwd: root, overrideConfig: { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked } });
  const [result] = await eslint.lintText(code, { filePath: file });
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.filter((m) => m.ruleId === 'layers/may-import').map((m) => m.messageId);
}

describe('the import-layer lint rule', () => {
  it('fails a platform file that imports from actions', async () => {
    expect(await layerFindings('src/platform/probe.ts', "export { isOn } from '../actions/on-off.js';\n")).toEqual(['wrongWay']);
  });

  it('fails a wrong-way import from a nested folder, a type-only import and a dynamic import alike', async () => {
    const code = [
      "import type { Service } from '../../commands/run-daemon.js';",
      "export type S = Service;",
      "export const load = () => import('../../daemon/spice-daemon.js');",
      '',
    ].join('\n');
    expect(await layerFindings('src/actions/admin/probe.ts', code)).toEqual(['wrongWay', 'wrongWay']);
  });

  it('lets a folder import what its row allows and itself', async () => {
    const code = "import type { Logger } from '../log/logger.js';\nimport { loadLibc } from './load-libc.js';\nexport type L = Logger;\nexport const l = loadLibc;\n";
    expect(await layerFindings('src/platform/probe.ts', code)).toEqual([]);
  });

  it('fails a file of src/ whose folder has no row in the table', async () => {
    expect(await layerFindings('src/helpers/probe.ts', 'export const x = 1;\n')).toEqual(['unknownLayer']);
    expect(await layerFindings('src/probe.ts', 'export const x = 1;\n')).toEqual(['unknownLayer']);
  });
});
