import { jsonSyntaxError, QgaError } from './errors.js';
import type { JsonObject, JsonValue } from './json.js';
import { type Token, TokenType } from './lexer.js';
import { decodeScalar } from './scalar.js';
import { NODE_COST, scalarCost } from './value-cost.js';

type Frame =
  | { kind: 'array'; items: JsonValue[]; expect: 'first' | 'value' | 'separator' }
  | { kind: 'object'; members: JsonObject; key: string; expect: 'first' | 'key' | 'colon' | 'value' | 'separator' };

/**
 * Builds one JSON value from its tokens with an explicit stack (no recursion, whatever the depth).
 * The first error is kept, as QEMU's parser reports the first one; later tokens are ignored.
 * `memory` estimates the heap the value holds so far, so a caller can stop it growing.
 */
export class ValueBuilder {
  private stack: Frame[] = [];
  /** The complete value, once there is one. */
  value: JsonValue | undefined;
  /** The first error met. */
  error: QgaError | undefined;
  /** Estimated heap bytes of the value so far (NODE_COST). */
  memory = 0;

  /** Starts a new value. */
  reset(): void {
    this.stack = [];
    this.value = undefined;
    this.error = undefined;
    this.memory = 0;
  }

  /** Takes the next token. */
  push(token: Token): void {
    if (this.error) return;
    try {
      this.step(token);
    } catch (err) {
      if (!(err instanceof QgaError)) throw err;
      this.error = err;
    }
  }

  private step(token: Token): void {
    const top = this.stack[this.stack.length - 1];
    const t = token.type;
    if (top?.kind === 'array') {
      if (top.expect === 'first' && t === TokenType.RSquare) return this.close();
      if (top.expect === 'separator') {
        if (t === TokenType.Comma) top.expect = 'value';
        else if (t === TokenType.RSquare) this.close();
        else throw jsonSyntaxError('expected separator in list');
        return;
      }
    } else if (top?.kind === 'object') {
      if (top.expect === 'first' && t === TokenType.RCurly) return this.close();
      if (top.expect === 'colon') {
        if (t !== TokenType.Colon) throw jsonSyntaxError('missing : in object pair');
        top.expect = 'value';
        return;
      }
      if (top.expect === 'separator') {
        if (t === TokenType.Comma) top.expect = 'key';
        else if (t === TokenType.RCurly) this.close();
        else throw jsonSyntaxError('expected separator in dict');
        return;
      }
    }
    // Everything else expects a value (an object key is parsed as a value, then checked).
    if (t === TokenType.LCurly) {
      this.memory += NODE_COST.object;
      this.stack.push({ kind: 'object', members: new Map(), key: '', expect: 'first' });
    } else if (t === TokenType.LSquare) {
      this.memory += NODE_COST.array;
      this.stack.push({ kind: 'array', items: [], expect: 'first' });
    } else {
      const value = decodeScalar(token);
      this.memory += scalarCost(value, token.plain);
      this.deliver(value);
    }
  }

  private close(): void {
    const frame = this.stack.pop() as Frame;
    this.deliver(frame.kind === 'array' ? frame.items : frame.members);
  }

  private deliver(value: JsonValue): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.value = value;
    } else if (top.kind === 'array') {
      this.memory += NODE_COST.item;
      top.items.push(value);
      top.expect = 'separator';
    } else if (top.expect === 'value') {
      if (top.members.has(top.key)) throw jsonSyntaxError('duplicate key');
      this.memory += NODE_COST.member;
      top.members.set(top.key, value);
      top.expect = 'separator';
    } else {
      if (typeof value !== 'string') throw jsonSyntaxError('key is not a string in object');
      top.key = value;
      top.expect = 'colon';
    }
  }
}
