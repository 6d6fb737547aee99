import { AnswerBytes } from './encode.js';
import type { QgaFault } from './errors.js';
import type { JsonValue } from './json.js';

/** The byte qemu-ga puts before guest-sync-delimited's answer so a host parser can resynchronise. */
export const SYNC_DELIMITER = 0xff;

/** `{"return": …}` with the `id` echoed last, as qemu-ga 7.2 orders it, and a newline: the answer's bytes in parts. */
export function encodeReturn(value: JsonValue, id: JsonValue | undefined): Buffer[] {
  const out = new AnswerBytes();
  out.add('{"return": ');
  out.addJson(value);
  if (id !== undefined) {
    out.add(', "id": ');
    out.addJson(id);
  }
  out.add('}\n');
  return out.done();
}

/** `{"error": {"class", "desc"}}` with the `id` echoed first, as qemu-ga 7.2 orders it, and a newline: the answer's bytes in parts. */
export function encodeError(error: QgaFault, id: JsonValue | undefined): Buffer[] {
  const out = new AnswerBytes();
  out.add('{');
  if (id !== undefined) {
    out.add('"id": ');
    out.addJson(id);
    out.add(', ');
  }
  out.add('"error": {"class": ');
  out.addString(error.errorClass);
  out.add(', "desc": ');
  out.addString(error.desc);
  out.add('}}\n');
  return out.done();
}
