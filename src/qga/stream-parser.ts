import { faultOf, jsonSyntaxFault, type QgaFault, QgaErrorCode } from './errors.js';
import type { JsonValue } from './json.js';
import { JsonLexer, type Token, TokenType } from './lexer.js';
import { decodeLenient } from './utf8.js';
import { ValueBuilder } from './value-builder.js';

/** Ceilings on one JSON value; the defaults are QEMU's, but for memory. */
export interface ParserLimits {
  /** Bytes of all tokens of one value, including the token in progress (64 MiB). */
  maxBytes: number;
  /** Tokens of one value (2 Mi). */
  maxTokens: number;
  /** Open braces and brackets (1024). */
  maxDepth: number;
  /** Estimated heap bytes of the parsed value, the token in progress included (32 MiB). */
  maxMemory: number;
}

/**
 * QEMU's limits: a value of at most 64 MiB in at most 2 Mi tokens, nested at most 1024 deep; and
 * ours, which QEMU's small C objects do not need: at most 32 MiB of parsed value in memory, so
 * that one request cannot take the daemon past its bound of idle + 64 MB (a guest-file-write
 * therefore carries at most some 24 MiB of data; hosts send far smaller blocks).
 */
export const QEMU_LIMITS: Readonly<ParserLimits> = {
  maxBytes: 64 * 1024 * 1024,
  maxTokens: 2 * 1024 * 1024,
  maxDepth: 1024,
  maxMemory: 32 * 1024 * 1024,
};

/** Longest stray text quoted in an error (QEMU quotes all of it; a cap keeps error lines short). */
const MAX_STRAY = 1024;

/** What the stream yields, each with its estimated heap bytes: a complete value, or an error to answer. */
export type ParseEvent = { kind: 'value'; value: JsonValue; size: number } | { kind: 'error'; error: QgaFault; size: number };

/** Heap bytes of an error event but its text: event and record objects, array slot (measured 100–140; rounded up). */
const FAULT_OVERHEAD = 160;

/** An error event; its size counts the text at two bytes a character (V8 stores text with U+FFFD so). */
function errorEvent(error: QgaFault): ParseEvent {
  return { kind: 'error', error, size: FAULT_OVERHEAD + 2 * error.desc.length };
}

/** A parser limit's error. */
const limitFault = (desc: string): QgaFault => ({ code: QgaErrorCode.JsonLimit, desc, errorClass: 'GenericError' });

/**
 * The guest agent's input: a stream of JSON values, not lines. A value ends when its braces and
 * brackets balance (or a closing one has no opener); lexical errors, 0xFF bytes and limits each
 * yield one error and parsing starts afresh, as in qemu-ga. The value is built as its tokens come
 * and refused as soon as its estimated memory passes the ceiling, so it never exists whole; the
 * rest of that value is then skipped unbuilt (one error, not one per remaining token), up to where
 * its brackets balance or a lexical error or 0xFF resynchronises.
 */
export class JsonStreamParser {
  private readonly lexer: JsonLexer;
  private readonly builder = new ValueBuilder();
  private braces = 0;
  private brackets = 0;
  private bytes = 0;
  private tokens = 0;
  /** Inside a value refused for its memory: tokens are only counted until it ends. */
  private skipping = false;
  private events: ParseEvent[] = [];

  constructor(private readonly limits: Readonly<ParserLimits> = QEMU_LIMITS) {
    // A token in progress is charged to both ceilings: text it adds becomes as many characters.
    this.lexer = new JsonLexer({ token: (t) => this.token(t), budget: () => Math.min(this.limits.maxBytes - this.bytes, this.limits.maxMemory - this.builder.memory) });
  }

  /** Parses a chunk; returns the values and errors it completed, in order. */
  feed(chunk: Uint8Array): ParseEvent[] {
    this.lexer.feed(chunk);
    const out = this.events;
    this.events = [];
    return out;
  }

  /** Forgets all partial input (the port went down). */
  reset(): void {
    this.lexer.reset();
    this.restart();
  }

  private token(token: Token): void {
    if (token.type === TokenType.Error) {
      const stray = decodeLenient(token.text.subarray(0, MAX_STRAY));
      return this.fail(jsonSyntaxFault(`stray '${stray}'`));
    }
    if (token.type === TokenType.TooLong) return this.fail(limitFault('JSON token size limit exceeded'));
    if (token.type === TokenType.LCurly) this.braces++;
    else if (token.type === TokenType.RCurly) this.braces--;
    else if (token.type === TokenType.LSquare) this.brackets++;
    else if (token.type === TokenType.RSquare) this.brackets--;
    const ended = this.braces < 0 || this.brackets < 0 || (this.braces === 0 && this.brackets === 0);
    if (this.skipping) {
      if (ended) this.restart();
      return;
    }
    this.bytes += token.text.length;
    this.tokens++;
    this.builder.push(token);
    if (ended) {
      const { error, value } = this.builder;
      const size = this.builder.memory;
      this.restart();
      if (error) this.events.push(errorEvent(faultOf(error)));
      else if (value !== undefined) this.events.push({ kind: 'value', value, size });
      else this.events.push(errorEvent(jsonSyntaxFault('expecting value')));
      return;
    }
    if (this.bytes > this.limits.maxBytes) this.fail(limitFault('JSON token size limit exceeded'));
    else if (this.tokens > this.limits.maxTokens) this.fail(limitFault('JSON token count limit exceeded'));
    else if (this.braces + this.brackets > this.limits.maxDepth) this.fail(limitFault('JSON nesting depth limit exceeded'));
    else if (this.builder.memory > this.limits.maxMemory) this.skipRest();
  }

  /** Refuses the value for its memory and drops what was built; its brackets stay counted. */
  private skipRest(): void {
    this.builder.reset();
    this.skipping = true;
    this.events.push(errorEvent(limitFault('JSON value memory limit exceeded')));
  }

  private fail(error: QgaFault): void {
    this.restart();
    this.events.push(errorEvent(error));
  }

  private restart(): void {
    this.builder.reset();
    this.braces = 0;
    this.brackets = 0;
    this.bytes = 0;
    this.tokens = 0;
    this.skipping = false;
  }
}
