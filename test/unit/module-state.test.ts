import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every TypeScript file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The `let` and `var` declarations among a module's top-level statements, as "path:line name". */
function moduleLevelBindings(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  return source.statements
    .filter((s): s is ts.VariableStatement => ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.Const) === 0)
    .flatMap((s) => s.declarationList.declarations)
    .map((d) => `${path}:${source.getLineAndCharacterOfPosition(d.getStart()).line + 1} ${d.name.getText(source)}`);
}

describe('module-level state in src/', () => {
  it('the scan finds a top-level let or var, exported or not, and nothing inside functions or in consts', () => {
    const text = [
      'let cache: number | undefined;',
      'export var count = 0;',
      'const fixed = 1;',
      'function f(): number { let local = 2; return local; }',
    ].join('\n');
    expect(moduleLevelBindings('m.ts', text)).toEqual(['m.ts:1 cache', 'm.ts:2 count']);
  });

  it('has no module-level let or var: state belongs to the objects that use it, not to the process', () => {
    const found = sourceFiles(join(ROOT, 'src')).flatMap((file) => moduleLevelBindings(relative(ROOT, file), readFileSync(file, 'utf8')));
    expect(found).toEqual([]);
  });
});
