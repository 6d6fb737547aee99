import { answerParts, jsonPieces } from './encode.js';
import type { QgaFault } from './errors.js';
import type { JsonValue } from './json.js';

/** The byte qemu-ga puts before guest-sync-delimited's answer so a host parser can resynchronise. */
export const SYNC_DELIMITER = 0xff;

/** `{"return": …}` with the `id` echoed last, as qemu-ga 7.2 orders it, and a newline: the answer's bytes in parts, each made when asked for. */
export function encodeReturn(value: JsonValue, id: JsonValue | undefined): Generator<Buffer> {
  return answerParts(
    (function* () {
      yield '{"return": ';
      yield* jsonPieces(value);
      if (id !== undefined) {
        yield ', "id": ';
        yield* jsonPieces(id);
      }
      yield '}\n';
    })(),
  );
}

/** `{"error": {"class", "desc"}}` with the `id` echoed first, as qemu-ga 7.2 orders it, and a newline: the answer's bytes in parts, each made when asked for. */
export function encodeError(error: QgaFault, id: JsonValue | undefined): Generator<Buffer> {
  return answerParts(
    (function* () {
      yield '{';
      if (id !== undefined) {
        yield '"id": ';
        yield* jsonPieces(id);
        yield ', ';
      }
      yield '"error": {"class": ';
      yield* jsonPieces(error.errorClass);
      yield ', "desc": ';
      yield* jsonPieces(error.desc);
      yield '}}\n';
    })(),
  );
}
