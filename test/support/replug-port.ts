import { renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ClientSimulator, type SimulatorOptions } from '../../src/sim/simulator.js';
import { CharDevicePort } from '../../src/transport/chardev-port.js';
import { openPtyPair, type PtyPair } from '../../src/transport/pty.js';

/**
 * A port whose host side can be unplugged and plugged again, like a virtio-serial port when QEMU
 * closes and reopens its chardev: the agent opens a symbolic link; `replug()` points it at a fresh
 * pty and closes the old one (the agent's descriptor hangs up), with a new client simulator on
 * the new master (the successor of the last one: a client that queues input while unplugged
 * delivers it to the next agent).
 */
export class ReplugPort {
  /** The path to give the agent (`--port`). */
  readonly path: string;
  private pty: PtyPair;
  private master: CharDevicePort;
  /** The client simulator on the current master. */
  sim: ClientSimulator;

  private constructor(dir: string, pty: PtyPair, master: CharDevicePort, options: SimulatorOptions) {
    this.path = join(dir, 'port');
    symlinkSync(pty.slavePath, this.path);
    this.pty = pty;
    this.master = master;
    this.sim = new ClientSimulator(master, options);
  }

  /** A port in folder `dir` (which holds the link), with simulators made with `options`. */
  static async create(dir: string, options: SimulatorOptions = {}): Promise<ReplugPort> {
    const pty = openPtyPair();
    const master = CharDevicePort.fromFd(pty.masterFd, 'pty master');
    await master.open();
    return new ReplugPort(dir, pty, master, options);
  }

  /** Points the link at a new pty, then hangs up the old one. */
  async replug(): Promise<void> {
    this.sim.unplug();
    const pty = openPtyPair();
    const master = CharDevicePort.fromFd(pty.masterFd, 'pty master');
    await master.open();
    const next = `${this.path}.next`;
    symlinkSync(pty.slavePath, next);
    renameSync(next, this.path);
    const [oldPty, oldMaster] = [this.pty, this.master];
    [this.pty, this.master] = [pty, master];
    this.sim = this.sim.successor(master);
    await oldMaster.close();
    oldPty.close();
  }

  /** Closes the current pty. */
  async close(): Promise<void> {
    await this.master.close();
    this.pty.close();
  }
}
