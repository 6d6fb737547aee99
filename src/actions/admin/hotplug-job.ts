import { type ErrorClass, QgaError, QgaErrorCode } from '../../qga/index.js';
import type { BlockChange } from './memory-hotplug.js';
import type { VcpuChange } from './vcpu-hotplug.js';

/** What the hot-plug worker is asked: processors or memory blocks to bring online or offline. */
export type HotplugJob = { kind: 'vcpus'; changes: VcpuChange[] } | { kind: 'memory'; changes: BlockChange[] };

/** What it answers: the job's value, or the error it ended with as plain fields (a worker's message carries no classes). */
export type HotplugResult<T = unknown> = { value: T } | { error: { code: QgaErrorCode; desc: string; errorClass: ErrorClass } };

/** The worker script, beside this file in both layouts (tsc's and the bundle's). */
export const HOTPLUG_WORKER = new URL('./hotplug-worker.js', import.meta.url);

/** The result of a job run on the calling thread, as the worker posts it. */
export function settle<T>(run: () => T): HotplugResult<T> {
  try {
    return { value: run() };
  } catch (err) {
    const e = err instanceof QgaError ? err : new QgaError(QgaErrorCode.CommandFailed, err instanceof Error ? err.message : String(err));
    return { error: { code: e.code, desc: e.desc, errorClass: e.errorClass } };
  }
}

/** The value the worker posted, or its error thrown again as the QgaError it was. */
export function fromWorker<T>(result: HotplugResult<T>): T {
  if ('error' in result) throw new QgaError(result.error.code, result.error.desc, result.error.errorClass);
  return result.value;
}
