import dbus, { type MessageBus } from 'dbus-next';

const { Interface } = dbus.interface;
const ROOT = '/org/freedesktop/login1';

/** org.freedesktop.login1.Manager: the session signals. */
class ManagerInterface extends Interface {
  constructor() {
    super('org.freedesktop.login1.Manager');
  }
  SessionNew(id: string, path: string): [string, string] {
    return [id, path];
  }
  SessionRemoved(id: string, path: string): [string, string] {
    return [id, path];
  }
}
ManagerInterface.configureMembers({ signals: { SessionNew: { signature: 'so' }, SessionRemoved: { signature: 'so' } } });

/** org.freedesktop.login1.Seat: which session is in front. */
class SeatInterface extends Interface {
  ActiveSession: [string, string] = ['', '/'];
  constructor() {
    super('org.freedesktop.login1.Seat');
  }
}
SeatInterface.configureMembers({ properties: { ActiveSession: { signature: '(so)', access: 'read' } } });

/** org.freedesktop.login1.Session: the properties the agent reads. */
class SessionInterface extends Interface {
  Id = '';
  Name = '';
  User: [number, string] = [0, '/'];
  Type = 'x11';
  Class = 'user';
  State = 'active';
  LockedHint = false;
  Remote = false;
  Display = '';
  Leader = 0;
  constructor() {
    super('org.freedesktop.login1.Session');
  }
  Lock(): void {}
  Unlock(): void {}
}
const read = (signature: string) => ({ signature, access: 'read' as const });
SessionInterface.configureMembers({
  properties: {
    Id: read('s'),
    Name: read('s'),
    User: read('(uo)'),
    Type: read('s'),
    Class: read('s'),
    State: read('s'),
    LockedHint: read('b'),
    Remote: read('b'),
    Display: read('s'),
    Leader: read('u'),
  },
  signals: { Lock: { signature: '' }, Unlock: { signature: '' } },
});

/** org.freedesktop.login1.User. */
class UserInterface extends Interface {
  UID = 0;
  GID = 0;
  Name = '';
  RuntimePath = '';
  constructor() {
    super('org.freedesktop.login1.User');
  }
}
UserInterface.configureMembers({ properties: { UID: read('u'), GID: read('u'), Name: read('s'), RuntimePath: read('s') } });

/** A session to create in the fake logind. */
export interface FakeSession {
  id: string;
  user: string;
  uid: number;
  gid: number;
  type?: 'x11' | 'wayland' | 'tty';
  class?: 'user' | 'greeter';
  locked?: boolean;
  display?: string;
  leader?: number;
  runtimePath?: string;
}

/** What may change in a session while it exists. */
export type SessionChange = Partial<Pick<SessionInterface, 'Type' | 'Class' | 'LockedHint' | 'State'>>;

/** A connection's unique name, which dbus-next keeps (untyped) once the bus said Hello. */
function uniqueName(bus: MessageBus): string {
  const { name } = bus as unknown as { name: unknown };
  if (typeof name !== 'string') throw new Error('not connected to the bus yet');
  return name;
}

/** A signal another peer forges, from its own connection. */
export interface ForgedSignal {
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/**
 * Another peer on the bus, as a local user on the system bus could be: `send` is called for every
 * other connection on the bus (its unique name; `self` is this peer's). Resolves once the bus routed
 * what was sent.
 */
export async function toEveryOtherPeer(address: string, send: (bus: dbus.MessageBus, name: string, self: string) => void): Promise<void> {
  const bus = dbus.sessionBus({ busAddress: address });
  const call = async (member: string): Promise<unknown[]> => {
    const reply = await bus.call(new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member }));
    const body: unknown[] = reply?.body ?? [];
    return body;
  };
  try {
    const [names] = await call('ListNames');
    const self = uniqueName(bus);
    for (const name of (names as string[]).filter((n) => n.startsWith(':') && n !== self)) send(bus, name, self);
    // Answered after the bus routed what was sent before it.
    await call('GetId');
  } finally {
    bus.disconnect();
  }
}

/**
 * Another peer on the bus sends `signals` (made knowing its own unique name), each addressed to
 * every connection on the bus (so past any match rule). Resolves once the bus routed them.
 */
export async function forgeSignals(address: string, signals: (self: string) => ForgedSignal[]): Promise<void> {
  await toEveryOtherPeer(address, (bus, name, self) => {
    for (const signal of signals(self)) bus.send(new dbus.Message({ type: dbus.MessageType.SIGNAL, destination: name, ...signal }));
  });
}

/** Another peer on the bus sends logind's session signal `member` (Lock, Unlock) for the object `path` (see forgeSignals). */
export async function forgeSessionSignal(address: string, path: string, member: 'Lock' | 'Unlock'): Promise<void> {
  await forgeSignals(address, () => [{ path, interface: 'org.freedesktop.login1.Session', member }]);
}

/**
 * systemd-logind as far as the agent sees it, exported with dbus-next on a test bus: the Manager's
 * SessionNew/SessionRemoved signals, seat0's ActiveSession, Session and User objects; every change
 * is announced with the signal real logind sends.
 */
export class FakeLogind {
  private readonly manager = new ManagerInterface();
  private readonly seat = new SeatInterface();
  private readonly sessions = new Map<string, { path: string; iface: SessionInterface }>();
  private readonly users = new Set<number>();
  private stalled = false;

  private constructor(private readonly bus: MessageBus) {
    // Runs before the exported interfaces answer: a call it takes is left unanswered.
    bus.addMethodHandler(() => this.stalled);
    bus.export(ROOT, this.manager);
    bus.export(`${ROOT}/seat/seat0`, this.seat);
  }

  /** Connects to the bus at `address` and takes the name org.freedesktop.login1. */
  static async start(address: string): Promise<FakeLogind> {
    const bus = dbus.sessionBus({ busAddress: address });
    await bus.requestName('org.freedesktop.login1', 0);
    return new FakeLogind(bus);
  }

  /** Its unique name on the bus (a restarted logind has another). */
  get uniqueName(): string {
    return uniqueName(this.bus);
  }

  /** Writes a marshalled message as it is on logind's connection: one dbus-next would not make. */
  sendRaw(bytes: Buffer): void {
    (this.bus as unknown as { _connection: { stream: NodeJS.WritableStream } })._connection.stream.write(bytes);
  }

  /** Creates a session (not yet in front): SessionNew. */
  add(s: FakeSession): void {
    const path = `${ROOT}/session/_${s.id}`;
    const session = new SessionInterface();
    Object.assign(session, {
      Id: s.id,
      Name: s.user,
      User: [s.uid, `${ROOT}/user/_${s.uid}`],
      Type: s.type ?? 'x11',
      Class: s.class ?? 'user',
      LockedHint: s.locked ?? false,
      Display: s.display ?? '',
      Leader: s.leader ?? 0,
    });
    if (!this.users.has(s.uid)) {
      const user = new UserInterface();
      Object.assign(user, { UID: s.uid, GID: s.gid, Name: s.user, RuntimePath: s.runtimePath ?? `/run/user/${s.uid}` });
      this.bus.export(`${ROOT}/user/_${s.uid}`, user);
      this.users.add(s.uid);
    }
    this.bus.export(path, session);
    this.sessions.set(s.id, { path, iface: session });
    this.manager.SessionNew(s.id, path);
  }

  /** Puts a session in front of seat0 (or none): the seat's PropertiesChanged. */
  activate(id: string | undefined): void {
    const path = id === undefined ? '/' : (this.sessions.get(id)?.path ?? '/');
    this.seat.ActiveSession = [id ?? '', path];
    Interface.emitPropertiesChanged(this.seat, { ActiveSession: this.seat.ActiveSession }, []);
  }

  /** Changes a session's properties: the session's PropertiesChanged. */
  change(id: string, changes: SessionChange): void {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`no session ${id}`);
    Object.assign(s.iface, changes);
    Interface.emitPropertiesChanged(s.iface, changes, []);
  }

  /** Sends the session Lock (`loginctl lock-session`) or Unlock (`unlock-session`); LockedHint stays. */
  signalLock(id: string, locked: boolean): void {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`no session ${id}`);
    if (locked) s.iface.Lock();
    else s.iface.Unlock();
  }

  /** A session's object path. */
  pathOf(id: string): string {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`no session ${id}`);
    return s.path;
  }

  /** Ends a session: it leaves the seat first if it was in front, then SessionRemoved. */
  remove(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    if (this.seat.ActiveSession[0] === id) this.activate(undefined);
    this.bus.unexport(s.path, s.iface);
    this.sessions.delete(id);
    this.manager.SessionRemoved(id, s.path);
  }

  /** Leaves every method call (property reads included) unanswered, as a hung logind does, or answers again; signals still go out. */
  stall(stalled: boolean): void {
    this.stalled = stalled;
  }

  /** Ends every session. */
  clear(): void {
    for (const id of [...this.sessions.keys()]) this.remove(id);
  }

  /** Leaves the bus. */
  stop(): void {
    this.bus.disconnect();
  }
}
