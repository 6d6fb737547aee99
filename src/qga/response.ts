import { encodeJson, encodeString } from './encode.js';
import type { QgaFault } from './errors.js';
import type { JsonValue } from './json.js';

/** The byte qemu-ga puts before guest-sync-delimited's answer so a host parser can resynchronise. */
export const SYNC_DELIMITER = 0xff;

/** `{"return": …}` with the `id` echoed last, as qemu-ga 7.2 orders it, and a newline. */
export function encodeReturn(value: JsonValue, id: JsonValue | undefined): string {
  return `{"return": ${encodeJson(value)}${id === undefined ? '' : `, "id": ${encodeJson(id)}`}}\n`;
}

/** `{"error": {"class", "desc"}}` with the `id` echoed first, as qemu-ga 7.2 orders it, and a newline. */
export function encodeError(error: QgaFault, id: JsonValue | undefined): string {
  const body = `"error": {"class": ${encodeString(error.errorClass)}, "desc": ${encodeString(error.desc)}}`;
  return `{${id === undefined ? '' : `"id": ${encodeJson(id)}, `}${body}}\n`;
}
