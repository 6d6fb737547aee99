import { closeSync, constants, openSync, opendirSync, readSync, writeSync } from 'node:fs';
import { type Args, jsonInt, jsonObject, type JsonObject } from '../../qga/index.js';
import { SYS_MEMORY } from './memory-blocks.js';

/** GuestMemoryBlockResponseType. */
type BlockResponse = 'success' | 'not-found' | 'operation-not-supported' | 'operation-failed';

/** The errno of a Node system error as the positive number qemu-ga reports. */
const errnoOf = (err: unknown): number => Math.abs((err as NodeJS.ErrnoException).errno ?? 0);

/** How one block's change ended: the response and, when qemu-ga gives one, the errno. */
interface BlockOutcome {
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

/** guest-set-memory-blocks: one GuestMemoryBlockResponse per listed block, in order. */
export function setMemoryBlocks(args: Args, sysMemory = SYS_MEMORY): JsonObject[] {
  return (args.optStructList('mem-blks') ?? []).map((blk) => {
    const index = blk.int('phys-index');
    const outcome = setBlock(sysMemory, index, blk.bool('online'));
    return jsonObject({ 'phys-index': jsonInt(index), response: outcome.response, 'error-code': outcome.errorCode });
  });
}
