// @ts-check
import { LAYERS } from './layers.js';

/**
 * The layer table as a markdown table: | folder | job | may import |, bottom layer first.
 * @param {readonly import('./layers.js').Layer[]} layers
 */
export function renderLayerTable(layers = LAYERS) {
  const rows = layers.map(({ folder, job, mayImport }) => {
    const name = folder.endsWith('.ts') ? `\`src/${folder}\`` : `\`src/${folder}/\``;
    const imports = mayImport.length === 0 ? '—' : mayImport.map((to) => `\`${to}/\``).join(', ');
    return `| ${name} | ${job} | ${imports} |`;
  });
  return ['| folder | job | may import |', '| --- | --- | --- |', ...rows].join('\n');
}
