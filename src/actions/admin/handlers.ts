import os from 'node:os';
import { type CommandSpec, guestInfo, jsonInt, type JsonObject } from '../../qga/index.js';
import { cpuStats, loadAverage, vcpus } from './cpu.js';
import { guestDisks } from './disks.js';
import { diskStatsOf } from './diskstats.js';
import type { Handler } from './dispatcher.js';
import type { ExecCommands } from './exec.js';
import type { FileCommands } from './files.js';
import { fsInfo } from './fsinfo.js';
import type { FreezeCommands } from './fsfreeze.js';
import type { Logger } from '../../log/logger.js';
import { memoryBlockInfo, memoryBlocks } from './memory-blocks.js';
import { networkInterfaces } from './network.js';
import { osInfo } from './osinfo.js';
import type { AdminPolicy } from './policy.js';
import { networkRoutes } from './routes.js';
import { setTime, type SystemClock } from './set-time.js';
import { shutdown } from './shutdown.js';
import { timezone } from './timezone.js';
import { guestUsers } from './users.js';
import { setUserPassword } from './passwords.js';
import { SshKeyCommands } from './ssh-keys.js';
import { fstrim } from './fstrim.js';
import { setMemoryBlocksInWorker } from './memory-hotplug.js';
import { suspend, type SuspendSystem } from './suspend.js';
import { setVcpusInWorker } from './vcpu-hotplug.js';

/** What the command implementations work with. */
export interface HandlerDeps {
  version: string;
  policy: () => AdminPolicy;
  enabled: (spec: CommandSpec) => boolean;
  exec: ExecCommands;
  files: FileCommands;
  freeze: FreezeCommands;
  clock: SystemClock;
  log: Logger;
  suspend: SuspendSystem;
}

/** The wall clock in nanoseconds, at microsecond resolution like qemu-ga. */
function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** Every served command's implementation, by wire name. */
export function adminHandlers(d: HandlerDeps): Map<string, Handler> {
  const empty = (): JsonObject => new Map();
  const sshKeys = new SshKeyCommands(() => d.policy().sshKeyUsers, d.log);
  return new Map<string, Handler>([
    ['guest-sync', (a) => jsonInt(a.int('id'))],
    ['guest-sync-delimited', (a) => jsonInt(a.int('id'))],
    ['guest-ping', empty],
    ['guest-info', () => guestInfo(d.version, d.enabled)],
    ['guest-get-osinfo', () => osInfo()],
    ['guest-get-host-name', () => new Map([['host-name', os.hostname()]])],
    ['guest-get-time', () => jsonInt(nowNs())],
    ['guest-get-timezone', () => timezone()],
    ['guest-get-users', () => guestUsers()],
    ['guest-network-get-interfaces', () => networkInterfaces()],
    ['guest-get-fsinfo', () => fsInfo()],
    ['guest-get-disks', () => guestDisks()],
    ['guest-get-vcpus', () => vcpus()],
    ['guest-get-load', () => loadAverage()],
    ['guest-get-cpustats', () => cpuStats()],
    ['guest-get-diskstats', () => diskStatsOf()],
    ['guest-get-memory-blocks', () => memoryBlocks()],
    ['guest-get-memory-block-info', () => memoryBlockInfo()],
    ['guest-network-get-route', () => networkRoutes()],
    ['guest-shutdown', async (a) => (await shutdown(a, d.policy().shutdownProgram, d.log), empty())],
    ['guest-exec', (a) => d.exec.exec(a)],
    ['guest-exec-status', (a) => d.exec.status(a)],
    ['guest-file-open', (a) => d.files.open(a)],
    ['guest-file-close', (a) => d.files.close(a)],
    ['guest-file-read', (a) => d.files.read(a)],
    ['guest-file-write', (a) => d.files.write(a)],
    ['guest-file-seek', (a) => d.files.seek(a)],
    ['guest-file-flush', (a) => d.files.flush(a)],
    ['guest-set-time', (a) => setTime(a, d.policy().hwclock, d.clock)],
    ['guest-fsfreeze-status', () => d.freeze.status()],
    ['guest-fsfreeze-freeze', (a) => d.freeze.freeze(a)],
    ['guest-fsfreeze-freeze-list', (a) => d.freeze.freeze(a)],
    ['guest-fsfreeze-thaw', () => d.freeze.thaw()],
    ['guest-ssh-get-authorized-keys', (a) => sshKeys.get(a)],
    ['guest-ssh-add-authorized-keys', (a) => sshKeys.add(a)],
    ['guest-ssh-remove-authorized-keys', (a) => sshKeys.remove(a)],
    ['guest-set-user-password', async (a) => (await setUserPassword(a, { users: d.policy().passwordUsers, chpasswd: d.policy().chpasswd }, d.log), empty())],
    ['guest-fstrim', (a) => fstrim(a)],
    ['guest-suspend-ram', async () => (await suspend('ram', d.suspend, d.log), empty())],
    ['guest-suspend-disk', async () => (await suspend('disk', d.suspend, d.log), empty())],
    ['guest-suspend-hybrid', async () => (await suspend('hybrid', d.suspend, d.log), empty())],
    ['guest-set-vcpus', (a) => setVcpusInWorker(a)],
    ['guest-set-memory-blocks', (a) => setMemoryBlocksInWorker(a)],
  ]);
}
