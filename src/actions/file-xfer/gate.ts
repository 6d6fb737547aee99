import { Capability, FileXferResult, MessageType, type Message } from '../../protocol/index.js';
import { FORWARD, type Admission, type SessionGate, type SessionState } from '../session-gate.js';
import { GioError, MAX_ACTIVE_TRANSFERS, xferIoError, xferStatus } from './status.js';

/** The verdict of the daemon's own checks: refuse with this status. */
const refuse = (message: Message): Admission => ({ kind: 'reply', message });

/**
 * The daemon's side of file transfer (spec §10.2): it checks, in this order, that a session helper
 * serves the module (else VDAGENT_NOT_CONNECTED), that the session is not locked (SESSION_LOCKED),
 * fewer than 128 active transfers (ERROR, TOO_MANY_OPEN_FILES), a new id (ERROR), and that the
 * session may receive files (a greeter may not: DISABLED, and bit 13 is announced).
 *
 * Two things are followed: the transfers open for the client (ended by a final status either way
 * or a new client; each is told CANCELLED when the helper goes away), and the transfers the helper
 * holds, which count toward the 128 from the START forwarded until the helper says that transfer
 * is closed (or the helper goes): a client cancelling at once cannot make the helper open more.
 */
export class FileXferGate implements SessionGate {
  private readonly open = new Set<number>();
  /** START forwarded per id, not yet closed in the helper (an id reused after a cancel is held twice). */
  private readonly held = new Map<number, number>();
  private heldCount = 0;

  capabilities(state: SessionState): readonly Capability[] {
    return state === 'greeter' ? [Capability.FileXferDisabled] : [];
  }

  admit(message: Message, state: SessionState): Admission {
    if (message.type === MessageType.FileXferStatus && (message.result === FileXferResult.Cancelled || message.result === FileXferResult.Error)) {
      this.open.delete(message.id);
    }
    if (message.type !== MessageType.FileXferStart) return FORWARD;
    const id = message.id;
    if (state === 'absent') return refuse(xferStatus(id, FileXferResult.VdagentNotConnected));
    if (state === 'locked') return refuse(xferStatus(id, FileXferResult.SessionLocked));
    if (this.heldCount >= MAX_ACTIVE_TRANSFERS) return refuse(xferIoError(id, GioError.TooManyOpenFiles));
    if (this.open.has(id)) return refuse(xferStatus(id, FileXferResult.Error));
    if (state === 'greeter') return refuse(xferStatus(id, FileXferResult.Disabled));
    this.open.add(id);
    this.held.set(id, (this.held.get(id) ?? 0) + 1);
    this.heldCount++;
    return FORWARD;
  }

  sent(message: Message): void {
    if (message.type === MessageType.FileXferStatus && message.result !== FileXferResult.CanSendData) this.open.delete(message.id);
  }

  closed(id: number): void {
    const n = this.held.get(id);
    if (n === undefined) return; // not forwarded, or forgotten with a helper that went
    if (n > 1) this.held.set(id, n - 1);
    else this.held.delete(id);
    this.heldCount--;
  }

  lost(): Message[] {
    const cancelled = [...this.open].map((id) => xferStatus(id, FileXferResult.Cancelled));
    this.open.clear();
    this.held.clear();
    this.heldCount = 0;
    return cancelled;
  }

  resetClient(): void {
    // The helper drops the client's transfers too, and says so for each as its file closes.
    this.open.clear();
  }
}
