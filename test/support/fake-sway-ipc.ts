import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { decodeSwayHeader, encodeSwayMessage, SWAY_HEADER_BYTES, SwayRequest } from '../../src/platform/display/sway-ipc.js';

/** An output as sway's get_outputs reports it (the fields the backend reads). */
export interface SwayOutputJson {
  name: string;
  active: boolean;
  rect: { x: number; y: number; width: number; height: number };
  scale: number;
  modes: { width: number; height: number; refresh: number }[];
  current_mode?: { width: number; height: number; refresh: number };
}

/** A sway output at `width`x`height`+`x`+0, active, listing `modes` (`WxH`, 60 Hz). */
export function swayOutput(name: string, width: number, height: number, x: number, modes: string[]): SwayOutputJson {
  return {
    name,
    active: true,
    rect: { x, y: 0, width, height },
    scale: 1,
    modes: modes.map((m) => ({ width: Number(m.split('x')[0]), height: Number(m.split('x')[1]), refresh: 60000 })),
    current_mode: { width, height, refresh: 60000 },
  };
}

/** A stand-in for sway's IPC socket: get_outputs answers the next of `states` (the last one again and again), run_command success; both are counted. */
export interface FakeSwayIpc {
  path: string;
  /** Each run_command payload, in order. */
  commands: string[];
  /** How many get_outputs were asked. */
  reads(): number;
  close(): Promise<void>;
}

/** How the stand-in misbehaves: `raw` bytes as every answer, then a hang-up (a broken or hostile peer); `refuse`, the error of every command run. */
export interface FakeSwayOptions {
  raw?: Buffer;
  refuse?: string;
}

/** Listens on `path` and answers each connection's requests as sway would (same header, JSON payload), unless `options` say otherwise. */
export async function startFakeSwayIpc(path: string, states: readonly SwayOutputJson[][], options: FakeSwayOptions = {}): Promise<FakeSwayIpc> {
  const { raw, refuse } = options;
  const commands: string[] = [];
  let reads = 0;
  const sockets = new Set<Socket>();
  const answer = (type: number, payload: string): Buffer => {
    if (raw) return raw;
    if (type === SwayRequest.RunCommand) {
      commands.push(payload);
      return encodeSwayMessage(type, JSON.stringify(payload.split(';').map(() => (refuse ? { success: false, error: refuse } : { success: true }))));
    }
    const state = states[Math.min(reads++, states.length - 1)] ?? [];
    return encodeSwayMessage(type, JSON.stringify(state));
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const header = decodeSwayHeader(data);
      if (!header || data.length < SWAY_HEADER_BYTES + header.length) return;
      socket.write(answer(header.type, data.subarray(SWAY_HEADER_BYTES, SWAY_HEADER_BYTES + header.length).toString('utf8')));
      if (raw) socket.end();
      data = data.subarray(SWAY_HEADER_BYTES + header.length);
    });
  });
  server.listen(path);
  await once(server, 'listening');
  return {
    path,
    commands,
    reads: () => reads,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
