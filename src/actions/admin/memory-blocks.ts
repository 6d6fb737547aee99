import { existsSync, readFileSync } from 'node:fs';
import { jsonInt, jsonObject, type JsonObject, QgaError, QgaErrorCode } from '../../qga/index.js';
import { dirEntries, systemFailure } from './proc-text.js';

/** Where Linux lists its hot-pluggable memory blocks. */
export const SYS_MEMORY = '/sys/devices/system/memory';

/** The first bytes of a sysfs attribute, or undefined when it does not exist. */
function attribute(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemFailure(`open("${path}")`, err);
  }
}

/** strtoul(…, 10): the leading decimal digits, 0 without any. */
const leadingIndex = (s: string): bigint => BigInt(/^\d+/.exec(s)?.[0] ?? '0');

/**
 * guest-get-memory-blocks: every `memoryN` directory in directory order; online when its `state`
 * says so (online and never removable without one), can-offline from `removable`. No memory
 * directory is an empty list; a directory without blocks is qemu-ga's error.
 */
export function memoryBlocks(sysMemory = SYS_MEMORY): JsonObject[] {
  let entries;
  try {
    entries = dirEntries(`${sysMemory}/`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw systemFailure(`Can't open directory"${sysMemory}/"`, err);
  }
  const blocks = entries
    .filter((e) => e.name.startsWith('memory') && e.isDirectory())
    .map((e) => {
      const dir = `${sysMemory}/${e.name}`;
      const state = attribute(`${dir}/state`);
      const removable = state === undefined ? undefined : attribute(`${dir}/removable`);
      return jsonObject({
        'phys-index': jsonInt(leadingIndex(e.name.slice(6))),
        online: state === undefined || state.startsWith('online'),
        'can-offline': removable !== undefined && removable[0] !== '0',
      });
    });
  if (blocks.length === 0) throw new QgaError(QgaErrorCode.CommandFailed, 'guest reported zero memory blocks!');
  return blocks;
}

/** guest-get-memory-block-info: the block size, from `block_size_bytes` (hexadecimal). */
export function memoryBlockInfo(sysMemory = SYS_MEMORY): JsonObject {
  let text: string;
  try {
    text = readFileSync(`${sysMemory}/block_size_bytes`, 'latin1');
  } catch (err) {
    throw systemFailure((err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(sysMemory) ? `open("${sysMemory}/")` : `open("${sysMemory}/block_size_bytes")`, err);
  }
  const hex = /^\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(text)?.[1] ?? '0';
  return jsonObject({ size: jsonInt(BigInt(`0x${hex}`)) });
}

