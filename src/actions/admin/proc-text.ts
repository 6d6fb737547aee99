import { type Dirent, opendirSync, readFileSync } from 'node:fs';
import { QgaError, QgaErrorCode } from '../../qga/index.js';
import { errorText } from '../../platform/libc.js';

/** A command's failure as qemu-ga words an `error_setg_errno`: the text, then the system error's. */
export function systemFailure(what: string, err: unknown): QgaError {
  return new QgaError(QgaErrorCode.CommandFailed, `${what}: ${errorText(err)}`);
}

/** A directory's entries in the kernel's order, as readdir(3) gives them (qemu-ga's list order). */
export function dirEntries(path: string): Dirent[] {
  const dir = opendirSync(path);
  const entries: Dirent[] = [];
  try {
    for (let e = dir.readSync(); e !== null; e = dir.readSync()) entries.push(e);
  } finally {
    dir.closeSync();
  }
  return entries;
}

/**
 * The leading unsigned decimal fields of a line after `skip` fields, as sscanf's run of `%lu`
 * converts them: it stops at the first field that is not a number.
 */
export function leadingCounters(fields: readonly string[], skip: number): bigint[] {
  const counters: bigint[] = [];
  for (const f of fields.slice(skip)) {
    if (!/^\d+$/.test(f)) break;
    counters.push(BigInt(f));
  }
  return counters;
}

/** The whitespace-separated fields of a line. */
export function fieldsOf(line: string): string[] {
  const trimmed = line.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/** A sysfs or procfs attribute without surrounding white space, or undefined when it cannot be read. */
export function readAttribute(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A /proc or /sys file's text; a failure reads as qemu-ga's `open("PATH"): <error>`. */
export function readSystemFile(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    throw systemFailure(`open("${path}")`, err);
  }
}
