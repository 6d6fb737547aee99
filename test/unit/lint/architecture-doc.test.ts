import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderLayerTable } from '../../../eslint/layers-markdown.js';

const BEGIN = '<!-- layers:begin -->';
const END = '<!-- layers:end -->';

describe('docs/architecture.md', () => {
  it('shows the layer table the lint rule enforces, between its markers', () => {
    const doc = readFileSync(new URL('../../../docs/architecture.md', import.meta.url), 'utf8');
    const begin = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(begin);
    expect(doc.slice(begin + BEGIN.length, end).trim()).toBe(renderLayerTable());
  });
});
