/** The worker thread of guest-set-vcpus and guest-set-memory-blocks: writes the sysfs files of its job and posts the outcome. */
import { parentPort, workerData } from 'node:worker_threads';
import { type HotplugJob, settle } from './hotplug-job.js';
import { applyMemoryBlocks } from './memory-hotplug.js';
import { applyVcpus } from './vcpu-hotplug.js';

const job = workerData as HotplugJob;
parentPort?.postMessage(job.kind === 'vcpus' ? settle(() => applyVcpus(job.changes)) : settle(() => applyMemoryBlocks(job.changes)));
