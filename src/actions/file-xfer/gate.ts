import { Capability, FileXferResult, MessageType, type Message } from '../../protocol/index.js';
import { FORWARD, type Admission, type SessionGate, type SessionState } from '../session-gate.js';
import { GioError, MAX_ACTIVE_TRANSFERS, xferIoError, xferStatus } from './status.js';

/** The verdict of the daemon's own checks: refuse with this status. */
const refuse = (message: Message): Admission => ({ kind: 'reply', message });

/**
 * The daemon's side of file transfer (spec §10.2): it checks, in this order, that a session helper
 * serves the module (else VDAGENT_NOT_CONNECTED), that the session is not locked (SESSION_LOCKED),
 * fewer than 128 active transfers (ERROR, TOO_MANY_OPEN_FILES), a new id (ERROR), and that the
 * session may receive files (a greeter may not: DISABLED, and bit 13 is announced). It follows the
 * transfers the helper accepted, to tell the client CANCELLED for each when the helper goes away.
 */
export class FileXferGate implements SessionGate {
  private readonly active = new Set<number>();

  capabilities(state: SessionState): readonly Capability[] {
    return state === 'greeter' ? [Capability.FileXferDisabled] : [];
  }

  admit(message: Message, state: SessionState): Admission {
    if (message.type === MessageType.FileXferStatus && (message.result === FileXferResult.Cancelled || message.result === FileXferResult.Error)) {
      this.active.delete(message.id);
    }
    if (message.type !== MessageType.FileXferStart) return FORWARD;
    const id = message.id;
    if (state === 'absent') return refuse(xferStatus(id, FileXferResult.VdagentNotConnected));
    if (state === 'locked') return refuse(xferStatus(id, FileXferResult.SessionLocked));
    if (this.active.size >= MAX_ACTIVE_TRANSFERS) return refuse(xferIoError(id, GioError.TooManyOpenFiles));
    if (this.active.has(id)) return refuse(xferStatus(id, FileXferResult.Error));
    if (state === 'greeter') return refuse(xferStatus(id, FileXferResult.Disabled));
    this.active.add(id);
    return FORWARD;
  }

  sent(message: Message): void {
    if (message.type === MessageType.FileXferStatus && message.result !== FileXferResult.CanSendData) this.active.delete(message.id);
  }

  lost(): Message[] {
    const cancelled = [...this.active].map((id) => xferStatus(id, FileXferResult.Cancelled));
    this.active.clear();
    return cancelled;
  }

  resetClient(): void {
    this.active.clear();
  }
}
