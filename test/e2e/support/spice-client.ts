import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The client script: spice-gtk's library through GObject introspection (see its header). */
const SCRIPT = fileURLToPath(new URL('spice-client.py', import.meta.url));
/** Debian's Python, which python3-gi and gir1.2-spiceclientglib-2.0 are installed for. */
const PYTHON = '/usr/bin/python3';

/** One event the client reported: its name, its fields, and `t`, the wall clock in ms. */
export interface ClientEvent {
  event: string;
  t: number;
  [field: string]: unknown;
}

/** A real SPICE client (spice-gtk) run as a child process, driven over JSON lines. */
/** The agent's announcement to the client: capabilities from a connected agent. */
export const announced = (e: ClientEvent): boolean => e.event === 'agent' && e.connected === true && Array.isArray(e.caps) && e.caps.length > 0;

export class SpiceClient {
  /** Every event reported so far, in order. */
  readonly events: ClientEvent[] = [];
  private stderr = '';
  private partial = '';
  private nextId = 1;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => {
      const lines = (this.partial + d.toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      // Under G_MESSAGES_DEBUG, GLib writes spice-gtk's debug log to standard output too: it joins the log tail.
      for (const line of lines) if (line.startsWith('{')) this.events.push(JSON.parse(line) as ClientEvent);
      else if (line.trim()) this.log(`${line}\n`);
    });
    child.stderr?.on('data', (d: Buffer) => this.log(d.toString('utf8')));
  }

  /** Starts the client and waits until spice-gtk has loaded. */
  static async start(): Promise<SpiceClient> {
    const client = new SpiceClient(spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await client.next((e) => e.event === 'ready', 0, 60_000);
    return client;
  }

  /** Opens a session to the SPICE server at 127.0.0.1:`port`. */
  connect(port: number): void {
    this.send({ cmd: 'connect', host: '127.0.0.1', port });
  }

  /** Starts copying the host file `path` into the guest; the id its progress and result carry. */
  copy(path: string): number {
    const id = this.nextId++;
    this.send({ cmd: 'copy', id, path });
    return id;
  }

  /** Asks the guest for its CLIPBOARD selection as `type` (a VD_AGENT_CLIPBOARD type, UTF-8 text unless given); the id its answer carries. */
  requestClipboard(type?: number): number {
    const id = this.nextId++;
    this.send({ cmd: 'clipboard', id, type });
    return id;
  }

  /** Takes the guest's CLIPBOARD on the client's behalf, offering `data` by VD_AGENT_CLIPBOARD type; the agent's requests are answered with it. */
  grabClipboard(data: ReadonlyMap<number, Buffer>): number {
    const id = this.nextId++;
    this.send({ cmd: 'grab', id, data: Object.fromEntries([...data].map(([type, bytes]) => [type, bytes.toString('base64')])) });
    return id;
  }

  /** Sends a monitors configuration (display id = index) at once; the id its `monitors` event carries. */
  sendMonitors(monitors: readonly { x: number; y: number; width: number; height: number }[]): number {
    const id = this.nextId++;
    this.send({ cmd: 'monitors', id, monitors });
    return id;
  }

  /** The first event from index `since` on that `matches`, waiting up to `timeoutMs`. */
  async next(matches: (e: ClientEvent) => boolean, since: number, timeoutMs: number): Promise<ClientEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(since).find(matches);
      if (found) return found;
      const ended = this.child.exitCode ?? this.child.signalCode;
      if (Date.now() > deadline || ended !== null) {
        const seen = this.events.slice(-30).map((e) => JSON.stringify(e));
        const why = ended === null ? `reported no such event within ${timeoutMs / 1000} s` : `ended (${ended}) before reporting such an event`;
        throw new Error(`the SPICE client ${why}; last events:\n${seen.join('\n')}\n--- client stderr ---\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ends the session and the client. */
  async quit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ cmd: 'quit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private log(text: string): void {
    this.stderr = (this.stderr + text).slice(-8000);
  }

  private send(command: Record<string, unknown>): void {
    this.child.stdin?.write(JSON.stringify(command) + '\n');
  }
}
