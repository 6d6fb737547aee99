import {
  type Args,
  checkArgs,
  checkRequest,
  type CommandSpec,
  encodeError,
  encodeReturn,
  findCommand,
  type JsonValue,
  type ParseEvent,
  QgaError,
  QgaErrorCode,
  SYNC_DELIMITER,
} from '../../qga/index.js';
import type { Logger } from '../../log/logger.js';

/** Runs one command with checked arguments; its value is the `return` member. */
export type Handler = (args: Args) => JsonValue | Promise<JsonValue>;

/** guest-sync-delimited's answer: the delimiter byte, then the answer's parts as they are made. */
function* delimited(parts: Iterable<Buffer>): Generator<Buffer> {
  yield Buffer.of(SYNC_DELIMITER);
  yield* parts;
}

/** Whether commands may run now. */
export interface CommandGate {
  /** Whether actions.d enables the command. */
  enabled(spec: CommandSpec): boolean;
  /** Whether the agent is in the frozen state. */
  frozen(): boolean;
}

/**
 * Turns each parsed value into the bytes to answer, in qemu-ga's order of checks: request shape,
 * command name, disabled (frozen state first), arguments, then the command itself.
 */
export class QgaDispatcher {
  constructor(
    private readonly handlers: ReadonlyMap<string, Handler>,
    private readonly gate: CommandGate,
    private readonly log: Logger,
  ) {}

  /** The answer to one parse event in parts (made as they are written, in order), or undefined for a command that succeeds silently. */
  async answer(event: ParseEvent): Promise<Iterable<Buffer> | undefined> {
    if (event.kind === 'error') return encodeError(event.error, undefined);
    const check = checkRequest(event.value);
    if (!check.ok) return encodeError(check.error, check.id);
    const { execute, args, id } = check.request;
    try {
      const spec = findCommand(execute);
      const notFound = (): QgaError => new QgaError(QgaErrorCode.CommandNotFound, `The command ${execute} has not been found`, 'CommandNotFound');
      if (!spec) throw notFound();
      if (this.gate.frozen() && !spec.whileFrozen) {
        throw new QgaError(QgaErrorCode.CommandDisabled, `Command ${execute} has been disabled: the agent is in frozen state`, 'CommandNotFound');
      }
      if (!this.gate.enabled(spec)) throw new QgaError(QgaErrorCode.CommandDisabled, `Command ${execute} has been disabled`, 'CommandNotFound');
      // A command that is never enabled has no implementation.
      const handler = this.handlers.get(spec.name);
      if (!handler) throw notFound();
      const value = await handler(checkArgs(spec.args, args));
      if (!spec.successResponse) return undefined;
      const parts = encodeReturn(value, id);
      return spec.name === 'guest-sync-delimited' ? delimited(parts) : parts;
    } catch (err) {
      if (err instanceof QgaError) return encodeError(err, id);
      const detail = err instanceof Error ? err.message : String(err);
      this.log.error(`${execute}: ${detail}`);
      return encodeError(new QgaError(QgaErrorCode.CommandFailed, `Guest agent command failed, error was '${detail}'`), id);
    }
  }
}
