/** The worker thread of guest-fstrim: trims the filesystems it is given and posts the results. */
import { parentPort, workerData } from 'node:worker_threads';
import { trimAll } from './fstrim.js';

const { dirs, minimum } = workerData as { dirs: string[]; minimum: bigint };
parentPort?.postMessage(trimAll(dirs, minimum));
