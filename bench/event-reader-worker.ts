import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ABS_X, EV_ABS, EV_SYN, INPUT_EVENT_SIZE } from '../src/platform/uinput/input-event.js';
import { STOP_TYPE, type ReaderShared, monotonicMs } from './event-reader-shared.js';

/**
 * The event reader's thread: blocks in read(2) on the FIFO, so each record wakes this thread
 * directly (no event loop, no poller), stamps the arrival and, for each SYN_REPORT, records the
 * time since the ABS_X it closed was sent. A record of type STOP_TYPE ends it.
 */
function run(data: ReaderShared): void {
  const sent = new Float64Array(data.sent);
  const latencies = new Float64Array(data.latencies);
  const counters = new Int32Array(data.counters);
  // Read-write, so the FIFO never reports end-of-file while the daemon (re)opens it.
  const fd = openSync(data.fifo, constants.O_RDWR);
  const buf = Buffer.alloc(256 * 1024);
  let filled = 0;
  let x = -1;
  for (;;) {
    const n = readSync(fd, buf, filled, buf.length - filled, null);
    const at = monotonicMs();
    const end = filled + n;
    let o = 0;
    for (; o + INPUT_EVENT_SIZE <= end; o += INPUT_EVENT_SIZE) {
      const type = buf.readUInt16LE(o + 16);
      if (type === STOP_TYPE) {
        closeSync(fd);
        return;
      }
      if (type === EV_ABS && buf.readUInt16LE(o + 18) === ABS_X) x = buf.readInt32LE(o + 20);
      else if (type === EV_SYN) onSync(x, at);
    }
    buf.copyWithin(0, o, end);
    filled = end - o;
  }

  function onSync(closedX: number, at: number): void {
    const t = sent[closedX] ?? 0;
    if (t > 0) {
      const i = Atomics.load(counters, 0);
      if (i < latencies.length) latencies[i] = at - t;
      Atomics.store(counters, 0, i + 1);
      sent[closedX] = 0;
    }
    if (closedX === Atomics.load(counters, 1)) parentPort?.postMessage(closedX);
  }
}

run(workerData as ReaderShared);
