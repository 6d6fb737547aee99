import { closeSync, constants, openSync, opendirSync, readSync, writeSync } from 'node:fs';
import { type Args, jsonInt, jsonObject, type JsonObject } from '../../qga/index.js';
import { fromWorker, HOTPLUG_WORKER, type HotplugJob, type HotplugResult } from './hotplug-job.js';
import { inWorker } from './in-worker.js';
import { SYS_MEMORY } from './memory-blocks.js';

/** GuestMemoryBlockResponseType. */
type BlockResponse = 'success' | 'not-found' | 'operation-not-supported' | 'operation-failed';

/** The errno of a Node system error as the positive number qemu-ga reports. */
const errnoOf = (err: unknown): number => Math.abs((err as NodeJS.ErrnoException).errno ?? 0);

/** How one block's change ended: the response and, when qemu-ga gives one, the errno. */
export interface BlockOutcome {
  response: BlockResponse;
  errorCode?: number;
}

/** The first bytes of a sysfs attribute, as qemu-ga reads them; a failure carries the errno (0 for an empty file). */
function readState(path: string): string | { errno: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (err) {
    return { errno: errnoOf(err) };
  }
  try {
    const buf = Buffer.alloc(10);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return n === 0 ? { errno: 0 } : buf.toString('latin1', 0, n);
  } catch (err) {
    return { errno: errnoOf(err) };
  } finally {
    closeSync(fd);
  }
}

/** Writes a sysfs attribute from its start; the errno when that fails. */
function writeState(path: string, text: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY);
  } catch (err) {
    return errnoOf(err);
  }
  try {
    writeSync(fd, text, 0);
    return undefined;
  } catch (err) {
    return errnoOf(err);
  } finally {
    closeSync(fd);
  }
}

/**
 * One block to the state asked, answered as qemu-ga answers: no memory directory is
 * operation-not-supported, no block directory not-found, a block without `state` can only stay
 * online (then success, yet with ENOENT as error-code, as qemu-ga reports it), and `state` is
 * written only when it says otherwise.
 */
function setBlock(sysMemory: string, index: bigint, online: boolean): BlockOutcome {
  try {
    opendirSync(`${sysMemory}/`).closeSync();
  } catch (err) {
    const errno = errnoOf(err);
    // qemu-ga leaves the response at its zero value, success, for any other error.
    return { response: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'operation-not-supported' : 'success', errorCode: errno };
  }
  // qemu-ga prints the index as a signed number: an index past 2^63 names memory-N.
  const dir = `${sysMemory}/memory${BigInt.asIntN(64, index)}/`;
  try {
    closeSync(openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY));
  } catch (err) {
    return { response: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'operation-failed', errorCode: errnoOf(err) };
  }
  const state = readState(`${dir}state`);
  if (typeof state !== 'string') {
    if (state.errno === 2) return { response: online ? 'success' : 'operation-not-supported', errorCode: state.errno };
    return { response: 'operation-failed', errorCode: state.errno };
  }
  if (online === state.startsWith('online')) return { response: 'success' };
  const errno = writeState(`${dir}state`, online ? 'online' : 'offline');
  return errno === undefined ? { response: 'success' } : { response: 'operation-failed', errorCode: errno };
}

/** One memory block to bring online or offline. */
export interface BlockChange {
  index: bigint;
  online: boolean;
}

/** How the change of one block ended. */
export interface BlockResult extends BlockOutcome {
  index: bigint;
}

/** Each block in turn, whatever the others did. Blocking: taking memory offline migrates its pages first. */
export function applyMemoryBlocks(changes: readonly BlockChange[], sysMemory = SYS_MEMORY): BlockResult[] {
  return changes.map(({ index, online }) => ({ index, ...setBlock(sysMemory, index, online) }));
}

/** The changes a guest-set-memory-blocks request asks for, in order. */
export function blockChanges(args: Args): BlockChange[] {
  return (args.optStructList('mem-blks') ?? []).map((blk) => ({ index: blk.int('phys-index'), online: blk.bool('online') }));
}

/** One GuestMemoryBlockResponse per block, in order. */
export function blockAnswers(results: readonly BlockResult[]): JsonObject[] {
  return results.map((r) => jsonObject({ 'phys-index': jsonInt(r.index), response: r.response, 'error-code': r.errorCode }));
}

/** guest-set-memory-blocks, on the calling thread. */
export function setMemoryBlocks(args: Args, sysMemory = SYS_MEMORY): JsonObject[] {
  return blockAnswers(applyMemoryBlocks(blockChanges(args), sysMemory));
}

/** guest-set-memory-blocks on a worker thread, so the SPICE side goes on while memory goes offline. */
export async function setMemoryBlocksInWorker(args: Args): Promise<JsonObject[]> {
  return blockAnswers(fromWorker(await inWorker<HotplugResult<BlockResult[]>>(HOTPLUG_WORKER, { kind: 'memory', changes: blockChanges(args) } satisfies HotplugJob)));
}
