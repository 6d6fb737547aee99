#!/usr/bin/python3
# A real SPICE client for the end-to-end tests: spice-gtk's client library (SpiceClientGLib,
# through GObject introspection), driven by the test one JSON command a line on standard input,
# reporting one JSON event a line on standard output. Every event carries "t", the wall clock in
# milliseconds (the clock QEMU's monitor stamps its events with).
#
# Commands:
#   {"cmd": "connect", "host": H, "port": P}   open a session (spice-gtk follows migrations itself)
#   {"cmd": "copy", "id": N, "path": P}         spice_main_channel_file_copy_async of one host file
#   {"cmd": "clipboard", "id": N, "type": T?}   clipboard_selection_request(CLIPBOARD, T or UTF8_TEXT)
#   {"cmd": "grab", "id": N, "data": {T: B64}}  clipboard_selection_grab(CLIPBOARD, the types T); a
#                                               request of the agent for T is answered with those bytes
#   {"cmd": "monitors", "id": N, "monitors": [{"x", "y", "width", "height"}, ...]}
#                                               update_display + update_display_enabled for each
#                                               display id (the rest disabled), then
#                                               send_monitor_config at once (no 1 s timer)
#   {"cmd": "quit"}
# Events:
#   ready                                       the library loaded (first line)
#   channel {"channel", "what"}                 a channel-event (OPENED, CLOSED, SWITCHING, ERROR_…)
#   migration-started                           spice-gtk began following a migration
#   agent {"connected", "caps"}                 main-agent-update: the agent's capability bits
#   progress {"id", "sent", "total"}            a file copy's progress (at most one every 64 KiB)
#   task {"id", "file", "error"}                one file of a copy finished (error: null on success)
#   copy {"id", "ok", "error"?, "code"?}        a file copy finished
#   clipboard {"id", "type", "size", "sha256", "base64"?}
#                                               main-clipboard-selection after a request (the bytes as
#                                               base64 only up to 64 KiB: larger answers are told by
#                                               size and hash)
#   guest-grab {"selection", "types"}           main-clipboard-selection-grab: the guest copied
#   guest-release {"selection"}                 main-clipboard-selection-release
#   served {"selection", "type", "bytes"}       the agent asked for the client's clipboard and got it
#   unserved {"selection", "type"}              the agent asked for a type the client did not grab
#   monitors {"id", "sent"}                     send_monitor_config's result
#   refused {"id", "why"}                       a command the library would not carry out
import base64
import ctypes
import hashlib
import json
import sys
import time

import gi

gi.require_version('SpiceClientGLib', '2.0')
from gi.repository import Gio, GLib, GObject, SpiceClientGLib as Spice  # noqa: E402

# spice/vd_agent.h
CAP_CLIPBOARD_BY_DEMAND = 5
CAP_CLIPBOARD_SELECTION = 6
SELECTION_CLIPBOARD = 0
TYPE_UTF8_TEXT = 1
CAP_BITS = 32
# spice-gtk's MAX_DISPLAY: the display ids a client configures
MAX_DISPLAYS = 16
# Clipboard answers up to this size are reported with their bytes.
CLIPBOARD_INLINE_MAX = 65536


def emit(event, **fields):
    fields.update(event=event, t=time.time() * 1000)
    sys.stdout.write(json.dumps(fields) + '\n')
    sys.stdout.flush()


def as_bytes(data, size):
    # A signal's array argument: bytes or a list where the typelib describes it (its length argument
    # then may or may not follow), else a bare address with the length after it.
    if data is None:
        return b''
    if isinstance(data, int):
        return ctypes.string_at(data, size or 0)
    raw = bytes(data)
    return raw[:size] if isinstance(size, int) else raw


def as_list(values, count):
    if values is None:
        return []
    if isinstance(values, int):
        return list((ctypes.c_uint32 * (count or 0)).from_address(values))
    items = list(values)
    return items[:count] if isinstance(count, int) else items


def on(obj, signal, handler):
    # SpiceSession.connect() and SpiceChannel.connect() open connections: signals go through GObject's.
    GObject.Object.connect(obj, signal, handler)


class Client:
    def __init__(self, loop):
        self.loop = loop
        self.session = None
        self.main = None
        self.clipboard_ids = []
        self.copies = {}
        self.offered = {}

    def connect(self, host, port):
        self.session = Spice.Session()
        self.session.set_property('host', host)
        self.session.set_property('port', str(port))
        on(self.session, 'channel-new', self.on_channel)
        on(self.session, 'disconnected', lambda _s: emit('disconnected'))
        if not self.session.connect():
            emit('refused', why='spice_session_connect returned FALSE')

    def on_channel(self, _session, channel):
        name = type(channel).__name__
        on(channel, 'channel-event', lambda _c, ev: emit('channel', channel=name, what=ev.value_nick))
        if not isinstance(channel, Spice.MainChannel):
            # The session opens only the main channel; a client opens the others the server offers
            # (remote-viewer does). One left unopened has never linked, and spice-gtk 0.42 then
            # segfaults after a semi-seamless switch-over: it brings the channel up on the
            # destination's connection and marshals INPUTS_KEY_MODIFIERS without marshallers.
            Spice.Channel.connect(channel)
        if isinstance(channel, Spice.MainChannel):
            self.main = channel
            on(channel, 'main-agent-update', self.on_agent)
            on(channel, 'main-clipboard-selection', self.on_clipboard)
            on(channel, 'main-clipboard-selection-grab', self.on_guest_grab)
            on(channel, 'main-clipboard-selection-release', lambda _c, sel: emit('guest-release', selection=sel))
            on(channel, 'main-clipboard-selection-request', self.on_agent_request)
            on(channel, 'migration-started', lambda _c, _s: emit('migration-started'))
            on(channel, 'new-file-transfer', self.on_transfer)

    def on_transfer(self, _channel, task):
        name = task.get_filename()
        ident = self.copies.get(name)
        reported = [0]

        def progress(_task, _spec):
            sent, total = task.get_property('transferred-bytes'), task.get_property('total-bytes')
            if sent - reported[0] >= 65536 or sent == total:
                reported[0] = sent
                emit('progress', id=ident, sent=sent, total=total)

        on(task, 'notify::progress', progress)
        on(task, 'finished', lambda _t, err: emit('task', id=ident, file=name, error=err.message if err else None))

    def on_agent(self, channel):
        caps = [bit for bit in range(CAP_BITS) if channel.agent_test_capability(bit)]
        emit('agent', connected=bool(channel.get_property('agent-connected')), caps=caps)

    def on_clipboard(self, _channel, selection, kind, data, *rest):
        ident = self.clipboard_ids.pop(0) if self.clipboard_ids else None
        raw = as_bytes(data, rest[0] if rest else None)
        fields = dict(id=ident, selection=selection, type=kind, size=len(raw), sha256=hashlib.sha256(raw).hexdigest())
        if len(raw) <= CLIPBOARD_INLINE_MAX:
            fields['base64'] = base64.b64encode(raw).decode()
        emit('clipboard', **fields)

    def on_guest_grab(self, _channel, selection, types, *rest):
        emit('guest-grab', selection=selection, types=as_list(types, rest[0] if rest else None))
        # A client owning the clipboard would say it took the grab; spice-gtk's own handler is in its GTK session.
        return True

    def on_agent_request(self, channel, selection, kind):
        data = self.offered.get(kind)
        if data is None:
            emit('unserved', selection=selection, type=kind)
            return False
        channel.clipboard_selection_notify(selection, kind, list(data))
        emit('served', selection=selection, type=kind, bytes=len(data))
        return True

    def grab(self, ident, data):
        if self.main is None or not self.main.agent_test_capability(CAP_CLIPBOARD_BY_DEMAND):
            return emit('refused', id=ident, why='the agent did not announce CLIPBOARD_BY_DEMAND')
        self.offered = {int(kind): base64.b64decode(b64) for kind, b64 in data.items()}
        self.main.clipboard_selection_grab(SELECTION_CLIPBOARD, list(self.offered))

    def copy(self, ident, path):
        if self.main is None:
            return emit('refused', id=ident, why='no main channel')
        self.copies[GLib.path_get_basename(path)] = ident

        def done(channel, result, _data):
            try:
                channel.file_copy_finish(result)
                emit('copy', id=ident, ok=True)
            except GLib.Error as err:
                emit('copy', id=ident, ok=False, error=err.message, domain=err.domain, code=err.code)

        # The progress callback's scope ends with the call in the introspection data: progress is
        # followed on the transfer task instead (on_transfer).
        self.main.file_copy_async([Gio.File.new_for_path(path)], Gio.FileCopyFlags.NONE, None, None, None, done, None)

    def clipboard(self, ident, kind):
        if self.main is None or not self.main.agent_test_capability(CAP_CLIPBOARD_BY_DEMAND):
            return emit('refused', id=ident, why='the agent did not announce CLIPBOARD_BY_DEMAND')
        self.clipboard_ids.append(ident)
        self.main.clipboard_selection_request(SELECTION_CLIPBOARD, kind)

    def monitors(self, ident, monitors):
        # spice-gtk sends only to a connected agent; spice-server then hands the message to the
        # display device (QXL client_monitors_config) when the guest's driver takes it, else to
        # the agent.
        if self.main is None or not self.main.get_property('agent-connected'):
            return emit('refused', id=ident, why='no agent connected')
        for display in range(MAX_DISPLAYS):
            wanted = monitors[display] if display < len(monitors) else None
            if wanted is not None:
                self.main.update_display(display, wanted['x'], wanted['y'], wanted['width'], wanted['height'], False)
            self.main.update_display_enabled(display, wanted is not None, False)
        emit('monitors', id=ident, sent=bool(self.main.send_monitor_config()))

    def command(self, line):
        msg = json.loads(line)
        cmd = msg.get('cmd')
        if cmd == 'connect':
            self.connect(msg['host'], msg['port'])
        elif cmd == 'copy':
            self.copy(msg['id'], msg['path'])
        elif cmd == 'clipboard':
            self.clipboard(msg['id'], msg.get('type', TYPE_UTF8_TEXT))
        elif cmd == 'grab':
            self.grab(msg['id'], msg['data'])
        elif cmd == 'monitors':
            self.monitors(msg['id'], msg['monitors'])
        elif cmd == 'quit':
            if self.session is not None:
                self.session.disconnect()
            self.loop.quit()
        else:
            emit('refused', why=f'unknown command {cmd}')


def main():
    loop = GLib.MainLoop()
    client = Client(loop)
    stdin = GLib.IOChannel.unix_new(sys.stdin.fileno())
    pending = ['']

    def readable(channel, condition):
        if condition & (GLib.IOCondition.HUP | GLib.IOCondition.ERR):
            loop.quit()
            return False
        chunk = sys.stdin.buffer.raw.read(65536) if hasattr(sys.stdin.buffer, 'raw') else b''
        if not chunk:
            loop.quit()
            return False
        lines = (pending[0] + chunk.decode()).split('\n')
        pending[0] = lines.pop()
        for line in lines:
            if line.strip():
                try:
                    client.command(line)
                except Exception as err:  # noqa: BLE001 - reported, the client goes on
                    emit('refused', why=f'{type(err).__name__}: {err}')
        return True

    GLib.io_add_watch(stdin, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, readable)
    emit('ready', version=Spice.util_get_version_string() if hasattr(Spice, 'util_get_version_string') else 'unknown')
    loop.run()


main()
