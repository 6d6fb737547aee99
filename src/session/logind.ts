import dbus, { type Message as DbusMessage, type MessageBus } from 'dbus-next';
import type { Logger } from '../log/logger.js';
import { limitIncoming } from './bus-limit.js';
import { addMatch, call, connected, flag, getAllProperties, getProperty, num, text } from './dbus.js';

const LOGIN1 = 'org.freedesktop.login1';
/** The bus itself: the sender of NameOwnerChanged (no peer can take its name). */
const BUS = 'org.freedesktop.DBus';
const MANAGER = 'org.freedesktop.login1.Manager';
const SEAT = 'org.freedesktop.login1.Seat';
const SESSION = 'org.freedesktop.login1.Session';
const USER = 'org.freedesktop.login1.User';
/** The seat whose active session the agent serves: the one the virtual display and input belong to. */
const SEAT0_PATH = '/org/freedesktop/login1/seat/seat0';

/** The active session of seat0 as logind describes it. */
export interface LoginSession {
  /** logind's session id. */
  id: string;
  /** The user's name, id, primary group and runtime directory. */
  user: string;
  uid: number;
  gid: number;
  runtimePath: string;
  /** `x11`, `wayland`, `tty`, `mir` or `unspecified`. */
  type: string;
  /** `user`, `greeter`, `lock-screen`, `background`… */
  class: string;
  /** `online`, `active` or `closing`. */
  state: string;
  /**
   * The screen is locked: logind sent the session Lock (`loginctl lock-session`, not yet followed
   * by Unlock), or the session's LockedHint is set (a screen locker says so).
   */
  locked: boolean;
  /** A remote login (ssh, remote desktop). */
  remote: boolean;
  /** The X11 display, for x11 sessions. */
  display: string;
  /** The session leader's process id. */
  leader: number;
}

/**
 * Follows the active session of seat0 through systemd-logind on the system bus (which honours
 * DBUS_SYSTEM_BUS_ADDRESS). Changes arrive as signals — the seat's and the session's
 * PropertiesChanged, SessionNew, SessionRemoved, the session's Lock and Unlock, logind
 * (re)appearing on the bus — never by polling; each one re-reads the state, and `onChange` hears
 * of every difference.
 *
 * Locked, as spice-vdagent counts it: `loginctl lock-session` only sends the session Lock (a
 * desktop without a screen locker never sets LockedHint), so Lock counts until Unlock, a LockedHint
 * that falls from true to false (a locker unlocked without Unlock), or another session in front.
 * Only logind's own signals count: any peer on the system bus may send this process a signal, a
 * forged Unlock must not open a locked session, nor a forged PropertiesChanged cost a read. logind's
 * unique name is asked once at start and then followed by the bus's NameOwnerChanged (a restarted
 * logind has a new one), never asked again per read.
 */
export class Seat0Tracker {
  private sessionPath: string | undefined;
  /** logind's unique name on the bus, the only sender whose Lock and Unlock count (undefined: logind is not on the bus). */
  private logindName: string | undefined;
  /** How many times the bus said logind's owner changed: a GetNameOwner answer older than the last change is not used. */
  private ownerChanges = 0;
  /** The session in front got Lock and no Unlock since. */
  private lockSignalled = false;
  /** Its LockedHint at the last read. */
  private lockedHint = false;
  private last = 'null';
  private lastError = '';
  private refreshing = false;
  private again = false;
  private stopped = false;

  private constructor(
    private readonly bus: MessageBus,
    private readonly log: Logger,
    private readonly onChange: (session: LoginSession | undefined) => void,
  ) {}

  /**
   * Connects to the system bus and reports the current state; rejects when there is no bus, or
   * when it does not answer in time (every call on it has a timeout, so a stalled bus or logind
   * never holds the daemon up).
   */
  static async start(log: Logger, onChange: (session: LoginSession | undefined) => void): Promise<Seat0Tracker> {
    const bus = dbus.systemBus();
    const tracker = new Seat0Tracker(bus, log, onChange);
    limitIncoming(bus, {
      hears: (sender) => sender === BUS || tracker.hears(sender),
      dropped: (err) => log.warn(`system bus: message dropped unread (${err.message})`),
    });
    await connected(bus);
    bus.on('error', (err: unknown) => log.warn(`system bus: ${String(err)}`));
    bus.on('message', (m) => tracker.signal(m));
    try {
      await addMatch(bus, `type='signal',sender='${LOGIN1}'`);
      await addMatch(bus, `type='signal',sender='${BUS}',interface='${BUS}',member='NameOwnerChanged',arg0='${LOGIN1}'`);
    } catch (err) {
      tracker.stop();
      throw err;
    }
    // Asked once the bus sends us NameOwnerChanged: no change of owner falls between the two.
    await tracker.learnOwner();
    tracker.refresh();
    return tracker;
  }

  /** Stops following and leaves the bus. */
  stop(): void {
    this.stopped = true;
    this.bus.disconnect();
  }

  /**
   * Whether a signal from `sender` is logind's: any other but the bus's is dropped unread (see
   * limitIncoming), so that a local user's flood of them costs the daemon no parsing.
   */
  hears(sender: string | undefined): boolean {
    return sender !== undefined && sender === this.logindName;
  }

  /** Asks the bus who owns logind's name now; a NameOwnerChanged that arrives meanwhile wins. */
  private async learnOwner(): Promise<void> {
    const seen = this.ownerChanges;
    let owner: unknown;
    try {
      [owner] = await call(this.bus, BUS, '/org/freedesktop/DBus', BUS, 'GetNameOwner', 's', [LOGIN1]);
    } catch {
      // NameHasNoOwner: logind is not on the bus yet; NameOwnerChanged says when it is.
    }
    if (this.ownerChanges === seen) this.logindName = typeof owner === 'string' ? owner : undefined;
  }

  private signal(m: DbusMessage): void {
    if (m.type !== dbus.MessageType.SIGNAL) return;
    if (m.member === 'NameOwnerChanged' && m.interface === BUS && m.body[0] === LOGIN1) {
      // Only the bus's own: a peer may send this process a NameOwnerChanged naming itself.
      if (m.sender !== BUS) return;
      const owner: unknown = m.body[2];
      this.ownerChanges++;
      this.logindName = typeof owner === 'string' && owner !== '' ? owner : undefined;
      this.refresh();
      return;
    }
    // Only logind's own signals count: any local user may send this process the same ones, each
    // of which would otherwise cost a read of logind's state (three calls), as often as sent.
    if (m.sender !== this.logindName) return;
    if (m.interface === SESSION && m.path === this.sessionPath && (m.member === 'Lock' || m.member === 'Unlock')) {
      this.lockSignalled = m.member === 'Lock';
      this.refresh();
      return;
    }
    const relevant =
      (m.interface === MANAGER && (m.member === 'SessionNew' || m.member === 'SessionRemoved')) ||
      (m.member === 'PropertiesChanged' && (m.path === SEAT0_PATH || m.path === this.sessionPath));
    if (relevant) this.refresh();
  }

  /** Re-reads the state; signals arriving meanwhile cause one more read. */
  private refresh(): void {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    void (async () => {
      try {
        do {
          this.again = false;
          this.publish(await this.read());
        } while (this.again);
      } catch (err) {
        this.log.error(`logind: ${String(err)}`);
      } finally {
        this.refreshing = false;
      }
    })();
  }

  private publish(session: LoginSession | undefined): void {
    const key = JSON.stringify(session ?? null);
    if (this.stopped || key === this.last) return;
    this.last = key;
    this.onChange(session);
  }

  private async read(): Promise<LoginSession | undefined> {
    try {
      const active = await getProperty(this.bus, LOGIN1, SEAT0_PATH, SEAT, 'ActiveSession');
      const [id, path] = Array.isArray(active) ? (active as unknown[]) : [];
      const sessionPath = typeof path === 'string' && id !== '' ? path : undefined;
      if (sessionPath !== this.sessionPath) [this.lockSignalled, this.lockedHint] = [false, false];
      this.sessionPath = sessionPath;
      if (typeof id !== 'string' || !this.sessionPath) return undefined;
      const s = await getAllProperties(this.bus, LOGIN1, this.sessionPath, SESSION);
      const lockedHint = flag(s, 'LockedHint');
      if (this.lockedHint && !lockedHint) this.lockSignalled = false;
      this.lockedHint = lockedHint;
      const [uid, userPath] = (s.get('User') as unknown[] | undefined) ?? [];
      const u = await getAllProperties(this.bus, LOGIN1, String(userPath), USER);
      this.lastError = '';
      return {
        id,
        user: text(s, 'Name'),
        uid: typeof uid === 'number' ? uid : -1,
        gid: num(u, 'GID'),
        runtimePath: text(u, 'RuntimePath'),
        type: text(s, 'Type'),
        class: text(s, 'Class'),
        state: text(s, 'State'),
        locked: lockedHint || this.lockSignalled,
        remote: flag(s, 'Remote'),
        display: text(s, 'Display'),
        leader: num(s, 'Leader'),
      };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (why !== this.lastError) this.log.warn(`logind: ${why}; no active session on seat0 until logind says otherwise`);
      this.lastError = why;
      return undefined;
    }
  }
}
