/** The worker thread of guest-fsfreeze-freeze: freezes the filesystems it is given and posts the outcome. */
import { parentPort, workerData } from 'node:worker_threads';
import { freezeEach } from './freezer.js';

parentPort?.postMessage(freezeEach(workerData as string[]));
