import { ChunkPort, FileXferResult, MessageType } from '../src/protocol/index.js';
import { DESKTOP_ACTIONS, startDesktopDaemon, type DesktopDaemon } from '../test/support/desktop-daemon.js';
import { chunk, rawMessage } from '../test/support/frames.js';
import { RssSampler, settledRss } from '../test/support/rss-sampler.js';
import { SHIPPED_CLI } from './agents.js';

type Add = (name: string, value: string, target: string) => void;

/** Bound on daemon + helper memory over their idle value under any hostile host. */
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
/** Longest a scenario writes. */
const SCENARIO_MS = 12_000;
/** How long the agent may take to answer once a scenario's writing is over. */
const ANSWER_MS = 10_000;
/** Start/cancel pairs of the storm. */
const STORM_TRANSFERS = 20_000;
/** FILE_XFER_DATA bytes offered while the helper is stopped. */
const STOPPED_HELPER_BYTES = 64 * 1024 * 1024;
/** Declared size of the message sent in 1-byte chunks (the default ceiling). */
const DECLARED_SIZE = 128 * 1024 * 1024;
/** 1-byte chunks sent of it (9 bytes each on the wire). */
const ONE_BYTE_CHUNKS = 2_000_000;
/** Bytes of `{},` sent inside one never-closed JSON array. */
const QGA_FLOOD_BYTES = 64 * 1024 * 1024;
/** guest-exec jobs started and never collected. */
const EXEC_JOBS = 300;
/** How long the log flood lasts. */
const LOG_FLOOD_MS = 10_000;
/** Most malformed messages the log flood sends. */
const LOG_FLOOD_MESSAGES = 200_000;
/** Log lines a second a flood of distinct malformed messages may put in the log. */
const LOG_LINES_BOUND = 10;

const MiB = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes until done or the deadline, whichever first; true when everything was taken. */
async function before(deadline: number, write: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))));
  const taken = await Promise.race([write.then(() => true), late]);
  clearTimeout(timer);
  return taken;
}

/**
 * Runs one scenario on a fresh desktop daemon (helper on Xvfb) and reports the peak memory of
 * daemon + helper beside the bound, and what the scenario itself reports.
 */
async function scenario(add: Add, name: string, run: (d: DesktopDaemon, deadline: number) => Promise<string>, actions = DESKTOP_ACTIONS): Promise<void> {
  const d = await startDesktopDaemon({ actions, cli: SHIPPED_CLI });
  try {
    await sleep(1000);
    const idle = await settledRss(() => d.rss());
    const sampler = new RssSampler(() => d.rss(), 50).start();
    const t0 = performance.now();
    const note = await run(d, Date.now() + SCENARIO_MS);
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const { peak } = sampler.stop();
    const state = d.running() ? '' : ', DAEMON EXITED';
    add(`${name}: peak RSS daemon + helper`, `+${MiB(peak - idle)} (${MiB(peak)})`, `<= +${MiB(RSS_GROWTH_BOUND)} over idle ${MiB(idle)}`);
    process.stdout.write(`${''.padEnd(4)}${note}; ${seconds} s${state}\n`);
  } finally {
    await d.stop();
  }
}

/** Starts a transfer: whether FILE_XFER_START was answered CAN_SEND_DATA (rejects when not answered). */
async function canSend(d: DesktopDaemon, id: number, size: number): Promise<boolean> {
  await d.agent.sim.send({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=bench-${id}.bin\nsize=${size}\n` });
  const status = await d.agent.sim.expect(MessageType.FileXferStatus, { where: (m) => m.id === id, timeoutMs: ANSWER_MS });
  return status.result === FileXferResult.CanSendData;
}

/** Hostile hosts against the real daemon with its helper: memory, and the log's rate. */
export async function hostileBenchmarks(add: Add): Promise<void> {
  await scenario(add, 'hostile: FILE_XFER start/cancel storm', async (d, deadline) => {
    let n = 0;
    for (; n < STORM_TRANSFERS && Date.now() < deadline; n++) {
      const id = n + 1;
      const start = d.agent.sim.send({ type: MessageType.FileXferStart, id, keyfile: `[vdagent-file-xfer]\nname=storm-${id}.bin\nsize=1048576\n` });
      const cancel = d.agent.sim.send({ type: MessageType.FileXferStatus, id, result: FileXferResult.Cancelled });
      if (!(await before(deadline, Promise.all([start, cancel]).then(() => undefined)))) break;
    }
    // A cancelled transfer gets no answer; a new one afterwards must, and is accepted once the
    // helper has closed the files of the storm (until then it counts them toward the 128).
    const after = performance.now();
    let answered = 'a new transfer NOT answered afterwards';
    for (let id = n + 1; performance.now() - after < ANSWER_MS; id++) {
      const ok = await canSend(d, id, 1).catch(() => undefined);
      if (ok === undefined) break;
      answered = ok ? `a new transfer accepted ${((performance.now() - after) / 1000).toFixed(1)} s afterwards` : 'a new transfer still refused afterwards';
      if (ok) break;
      await sleep(100);
    }
    return `${n} start/cancel pairs, ${answered}`;
  });

  await scenario(add, 'hostile: SIGSTOPped helper, FILE_XFER_DATA offered', async (d, deadline) => {
    if (!(await canSend(d, 1, STOPPED_HELPER_BYTES))) return 'transfer refused: nothing measured';
    const helper = d.helper() as number;
    process.kill(helper, 'SIGSTOP');
    let taken = 0;
    try {
      const data = Buffer.alloc(65536, 0x5a);
      while (taken < STOPPED_HELPER_BYTES && (await before(deadline, d.agent.sim.send({ type: MessageType.FileXferData, id: 1, data })))) taken += data.length;
    } finally {
      process.kill(helper, 'SIGCONT');
    }
    return `${MiB(taken)} of ${MiB(STOPPED_HELPER_BYTES)} taken by the daemon while the helper was stopped`;
  });

  await scenario(add, `hostile: 1-byte chunks of a ${MiB(DECLARED_SIZE)}-declared message`, async (d, deadline) => {
    await d.agent.sim.sendRaw(chunk(ChunkPort.Client, rawMessage(MessageType.FileXferData, Buffer.alloc(0), { declaredSize: DECLARED_SIZE })));
    const perWrite = 65536;
    const block = Buffer.concat(Array.from({ length: perWrite }, (_, i) => chunk(ChunkPort.Client, Buffer.of(i & 0xff))));
    let sent = 0;
    while (sent < ONE_BYTE_CHUNKS && (await before(deadline, d.agent.sim.sendRaw(block)))) sent += perWrite;
    await d.agent.sim.disconnect();
    return `${sent.toLocaleString('en')} chunks (${MiB(sent * 9)} on the wire)`;
  });

  await scenario(add, 'hostile: guest agent [{},{},...] flood', async (d, deadline) => {
    const block = Buffer.from('{},'.repeat(21845));
    let sent = 0;
    if (await before(deadline, d.qga.send('['))) {
      while (sent < QGA_FLOOD_BYTES && (await before(deadline, d.qga.send(block)))) sent += block.length;
    }
    const synced = await d.qga.sync(ANSWER_MS).then(() => 'synchronised afterwards', () => 'NOT synchronised afterwards');
    return `${MiB(sent)} of {}, in one array; ${synced}`;
  });

  await scenario(
    add,
    `hostile: ${EXEC_JOBS} uncollected guest-exec jobs`,
    async (d) => {
      let started = 0;
      for (let i = 0; i < EXEC_JOBS; i++) {
        const answer = await d.qga.json({ execute: 'guest-exec', arguments: { path: '/bin/true', 'capture-output': true } }, ANSWER_MS);
        if (answer.return !== undefined) started++;
      }
      await sleep(2000);
      return `${started} of ${EXEC_JOBS} started, none collected`;
    },
    { ...DESKTOP_ACTIONS, exec: '/bin/true\n' },
  );

  await scenario(add, 'hostile: log flood of distinct malformed messages', async (d) => {
    const logLines = (): number => {
      const text = d.agent.logs();
      let n = 0;
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
      return n;
    };
    const lines0 = logLines();
    const end = Date.now() + LOG_FLOOD_MS;
    let sent = 0;
    for (let round = 0; Date.now() < end && sent < LOG_FLOOD_MESSAGES; round++) {
      // Each has its own text: a bad protocol number, and an unknown message type.
      const batch = Array.from({ length: 256 }, (_, i) => {
        const n = round * 256 + i;
        return Buffer.concat([chunk(ChunkPort.Client, rawMessage(MessageType.MouseState, Buffer.alloc(4), { protocol: 1000 + n })), chunk(ChunkPort.Client, rawMessage(1000 + n, Buffer.alloc(4)))]);
      });
      if (!(await before(end, d.agent.sim.sendRaw(Buffer.concat(batch))))) break;
      sent += batch.length * 2;
    }
    await sleep(500);
    const rate = (logLines() - lines0) / (LOG_FLOOD_MS / 1000);
    add('hostile: log lines a second under that flood', `${rate.toFixed(0)} lines/s`, `<= ${LOG_LINES_BOUND} lines/s`);
    return `${sent.toLocaleString('en')} malformed messages in ${LOG_FLOOD_MS / 1000} s`;
  });
}
