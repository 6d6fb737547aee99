import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../../../eslint/layers.js';

const src = fileURLToPath(new URL('../../../src/', import.meta.url));

/** A cycle among the table's may-import edges, as the folders along it, or undefined when there is none. */
function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (folder: string, path: string[]): string[] | undefined => {
    if (path.includes(folder)) return [...path.slice(path.indexOf(folder)), folder];
    if (done.has(folder)) return undefined;
    for (const next of edges.get(folder) ?? []) {
      const cycle = visit(next, [...path, folder]);
      if (cycle) return cycle;
    }
    done.add(folder);
    return undefined;
  };
  for (const folder of edges.keys()) {
    const cycle = visit(folder, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the layer table', () => {
  const edges = new Map<string, readonly string[]>(LAYERS.map((l) => [l.folder, l.mayImport]));

  it('has one row for every folder of src/ and for cli.ts, and no other', () => {
    expect([...edges.keys()].sort()).toEqual(readdirSync(src).sort());
  });

  it('names only folders of the table in its may-import lists, never a row itself', () => {
    for (const { folder, mayImport } of LAYERS) {
      for (const to of mayImport) expect(edges.has(to), `${folder} → ${to}`).toBe(true);
      expect(mayImport).not.toContain(folder);
    }
  });

  it('is acyclic', () => {
    expect(findCycle(edges)).toBeUndefined();
  });

  it('lists each row after every row it may import, bottom layer first', () => {
    const order = LAYERS.map((l) => l.folder);
    for (const { folder, mayImport } of LAYERS) {
      for (const to of mayImport) expect(order.indexOf(to), `${folder} → ${to}`).toBeLessThan(order.indexOf(folder));
    }
  });

  it('finds a cycle when one is there', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
  });
});
