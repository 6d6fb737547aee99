#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const HELP = `Usage: vdagent <command> [options]

Commands:
  daemon    run the guest agent on the SPICE port (as the systemd service does)
  demo      run the real daemon on a loopback pty against the built-in client simulator
  decode    decode a captured VDAgent byte stream (raw or hex) to one line per message
  actions   print the effective actions.d set: each action, on or off, and the file that decided it
  profile   print or apply an integration profile (libvirt, kubevirt, proxmox): the admin actions
            a host tool uses, linked into actions.d, and the drop-in giving them their rights
  session   the per-session helper: the daemon starts it as the desktop's user (not run by hand)

vdagent daemon [options]
  --port PATH|auto          SPICE agent port; auto finds ${'com.redhat.spice.0'} (default auto)
  --qga-port PATH|auto|none QEMU guest-agent port (default none)
  --state-dir DIR           guest-agent state kept across restarts: frozen state, file handles
                            (default /var/lib/vdagent; when missing, kept in memory only)
  --actions-dir DIR         actions.d directory; repeatable, later wins
                            (default /usr/lib/vdagent/actions.d then /etc/vdagent/actions.d)
  --fake-uinput PATH        write pointer events as struct input_event records to PATH
  --session SPEC            auto (logind), current (this user), or none (default auto)
  --max-message-size BYTES  refuse messages declaring more (default 134217728)
  --debug                   log every message decoded

vdagent decode [FILE|-]     read FILE (or standard input) and print each message
vdagent actions [--actions-dir DIR]...
                            states: on, off (no entry), masked (link to /dev/null),
                            invalid (a setting is wrong), unknown (no such action)
vdagent profile [NAME [--apply]]
                            without NAME, lists the profiles; with NAME, prints each link and the
                            drop-in applying it would create; --apply creates them (never replacing
                            an entry or drop-in that is there); then run systemctl daemon-reload
                            and systemctl restart vdagent for the drop-in
  --profiles-dir DIR        (default /usr/share/vdagent/profiles)
  --available-dir DIR       (default /usr/share/vdagent/actions.available)
  --actions-dir DIR         where the links go (default /etc/vdagent/actions.d)
  --drop-in-dir DIR         (default /etc/systemd/system/vdagent.service.d)
vdagent session [--uid UID --gid GID] [--leader PID] [--debug]
                            loads all its code, becomes UID:GID with UID's groups, then runs the
                            session modules the daemon names over the IPC channel it was started
                            with; --leader (a logind session's leader, 0 for none): first completes
                            DISPLAY, WAYLAND_DISPLAY, SWAYSOCK, XAUTHORITY, DBUS_SESSION_BUS_ADDRESS
                            from the user's systemd manager, then from that process's environment
`;

/** Entry point: parses arguments and runs a role. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === 'daemon') {
    const { values } = parseArgs({
      args: rest,
      options: {
        port: { type: 'string', default: 'auto' },
        'qga-port': { type: 'string', default: 'none' },
        'state-dir': { type: 'string', default: '/var/lib/vdagent' },
        'actions-dir': { type: 'string', multiple: true, default: [] },
        'fake-uinput': { type: 'string' },
        session: { type: 'string', default: 'auto' },
        'max-message-size': { type: 'string' },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const max = values['max-message-size'];
    const { runDaemon } = await import('./commands/run-daemon.js');
    return runDaemon({
      port: values.port,
      qgaPort: values['qga-port'],
      stateDir: values['state-dir'],
      actionsDirs: values['actions-dir'],
      fakeUinput: values['fake-uinput'],
      session: values.session,
      debug: values.debug,
      maxMessageSize: max === undefined ? undefined : Number(max),
    });
  }
  // Each role loads only what it needs: the daemon never loads the demo's pty code.
  if (command === 'demo') return (await import('./commands/demo.js')).runDemo();
  if (command === 'decode') {
    const { positionals } = parseArgs({ args: rest, allowPositionals: true });
    return (await import('./commands/decode.js')).runDecode(positionals[0]);
  }
  if (command === 'session') {
    const { values } = parseArgs({ args: rest, options: { uid: { type: 'string' }, gid: { type: 'string' }, leader: { type: 'string' }, debug: { type: 'boolean', default: false } } });
    const { uid, gid, leader } = values;
    if ((uid === undefined) !== (gid === undefined) || [uid, gid].some((n) => n !== undefined && !/^\d+$/.test(n))) {
      process.stderr.write('vdagent session: --uid and --gid go together, as numbers\n');
      return 2;
    }
    if (leader !== undefined && !/^\d+$/.test(leader)) {
      process.stderr.write('vdagent session: --leader is a process id\n');
      return 2;
    }
    const identity = uid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
    return (await import('./commands/session.js')).runSession({ identity, leader: leader === undefined ? undefined : Number(leader), debug: values.debug });
  }
  if (command === 'actions') {
    const { values } = parseArgs({ args: rest, options: { 'actions-dir': { type: 'string', multiple: true, default: [] } } });
    return (await import('./commands/actions.js')).runActions(values['actions-dir']);
  }
  if (command === 'profile') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        apply: { type: 'boolean', default: false },
        'profiles-dir': { type: 'string' },
        'available-dir': { type: 'string' },
        'actions-dir': { type: 'string' },
        'drop-in-dir': { type: 'string' },
      },
    });
    if (positionals.length > 1 || (values.apply && positionals.length === 0)) {
      process.stderr.write('vdagent profile: one profile name, and --apply only with one\n');
      return 2;
    }
    const { DEFAULT_PROFILE_DIRS: d } = await import('./commands/profile-plan.js');
    const dirs = {
      profiles: resolve(values['profiles-dir'] ?? d.profiles),
      available: resolve(values['available-dir'] ?? d.available),
      actions: resolve(values['actions-dir'] ?? d.actions),
      dropIns: resolve(values['drop-in-dir'] ?? d.dropIns),
    };
    return (await import('./commands/profile.js')).runProfile(positionals[0], values.apply, dirs);
  }
  process.stderr.write(`vdagent: unknown command ${command}\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vdagent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
