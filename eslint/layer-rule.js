// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYERS } from './layers.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));
/** @type {ReadonlyMap<string, readonly string[]>} */
const MAY_IMPORT = new Map(LAYERS.map((layer) => [layer.folder, layer.mayImport]));

/**
 * The layer of a file under src/: its first folder, or its own name at the root; undefined outside src/.
 * @param {string} file
 */
function layerOf(file) {
  const relative = path.relative(SRC, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep)[0];
}

/** Fails a relative import that runs against the layer table in eslint/layers.js. */
export const layerRule = /** @type {import('eslint').Rule.RuleModule} */ ({
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the layer table in eslint/layers.js' },
    schema: [],
    messages: {
      unknownLayer: '{{layer}} has no row in the layer table (eslint/layers.js)',
      wrongWay: 'src/{{from}} may not import src/{{to}} (it may import: {{allowed}})',
    },
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === undefined) return {};
    const allowed = MAY_IMPORT.get(from);
    if (allowed === undefined) {
      return { Program: (node) => context.report({ node, messageId: 'unknownLayer', data: { layer: `src/${from}` } }) };
    }
    /** @param {import('estree').Node & { source?: import('estree').Node | null }} node */
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), source.value));
      if (to === undefined || to === from || allowed.includes(to)) return;
      context.report({ node: source, messageId: 'wrongWay', data: { from, to, allowed: allowed.join(', ') || 'nothing' } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
});
