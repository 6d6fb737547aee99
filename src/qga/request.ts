import { QgaError, QgaErrorCode } from './errors.js';
import type { JsonObject, JsonValue } from './json.js';

/** A well-formed request: the command, its arguments, and the `id` to echo (undefined when absent). */
export interface QgaRequest {
  execute: string;
  args: JsonObject;
  id: JsonValue | undefined;
}

/** A request, or the error to answer with the `id` it carried. */
export type RequestCheck = { ok: true; request: QgaRequest } | { ok: false; error: QgaError; id: JsonValue | undefined };

const bad = (desc: string): QgaError => new QgaError(QgaErrorCode.BadRequest, desc);

/** Checks a value's shape as a request, with qemu-ga's errors (members in input order decide which error). */
export function checkRequest(value: JsonValue): RequestCheck {
  if (!(value instanceof Map)) return { ok: false, error: bad('QMP input must be a JSON object'), id: undefined };
  const id = value.get('id');
  const fail = (desc: string): RequestCheck => ({ ok: false, error: bad(desc), id });
  for (const [name, member] of value) {
    if (name === 'execute') {
      if (typeof member !== 'string') return fail("QMP input member 'execute' must be a string");
    } else if (name === 'arguments') {
      if (!(member instanceof Map)) return fail("QMP input member 'arguments' must be an object");
    } else if (name !== 'id') {
      return fail(`QMP input member '${name}' is unexpected`);
    }
  }
  const execute = value.get('execute');
  if (typeof execute !== 'string') return fail("QMP input lacks member 'execute'");
  const args = value.get('arguments');
  return { ok: true, request: { execute, args: args instanceof Map ? args : new Map<string, JsonValue>(), id } };
}
