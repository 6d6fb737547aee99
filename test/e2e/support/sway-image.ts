import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { derivedImage } from './chroot-image.js';
import type { GuestImage } from './guest-image.js';
import type { Phases } from './phases.js';

/** The user logged in on seat0 in the sway guest. */
export const SWAY_USER = { name: 'desktop', uid: 1000 } as const;
/** The socket sway serves in the user's runtime directory (its first free `wayland-N`). */
export const SWAY_WAYLAND_DISPLAY = 'wayland-1';
/**
 * What the sway guest adds to the base guest: sway (wlroots' DRM backend on the virtio_gpu
 * driver, its pixman renderer), one font, the user's D-Bus (where the agent asks the user's
 * systemd manager for WAYLAND_DISPLAY), wl-clipboard as the guest application and the agent's
 * clipboard backend, wlr-randr for its resolution backend.
 */
const SWAY_PACKAGES = ['sway', 'fonts-dejavu-core', 'dbus-user-session', 'wl-clipboard', 'wlr-randr'];
/**
 * sway's configuration: no bar, no wallpaper, no Xwayland; it hands WAYLAND_DISPLAY to the user's
 * systemd manager, as Debian's /etc/sway/config.d/50-systemd-user.conf does.
 */
const SWAY_CONFIG = `# The vdagent end-to-end guest's sway session.
xwayland disable
exec systemctl --user import-environment WAYLAND_DISPLAY SWAYSOCK XDG_SESSION_TYPE
`;
/**
 * The automatic login: a PAM session of the user on tty1 (pam_systemd makes it logind's session on
 * seat0, of type wayland from XDG_SESSION_TYPE) running sway, which takes the seat from logind
 * through libseat. The renderer is pixman (virtio-gpu without virgl has no GL), cursors are drawn
 * in software, and wlroots starts without input devices (the guest has none libinput uses).
 */
const SESSION_UNIT = `[Unit]
Description=vdagent end-to-end desktop: ${SWAY_USER.name} logged in on seat0 with sway
After=systemd-user-sessions.service systemd-logind.service getty-pre.target
Conflicts=getty@tty1.service

[Service]
User=${SWAY_USER.name}
PAMName=login
TTYPath=/dev/tty1
StandardInput=tty
StandardOutput=journal
StandardError=journal
UtmpIdentifier=tty1
UtmpMode=user
Environment=XDG_SESSION_TYPE=wayland XDG_SESSION_CLASS=user XDG_SEAT=seat0 XDG_VTNR=1
Environment=LIBSEAT_BACKEND=logind WLR_BACKENDS=drm,libinput WLR_RENDERER=pixman WLR_NO_HARDWARE_CURSORS=1 WLR_LIBINPUT_NO_DEVICES=1
WorkingDirectory=~
ExecStart=/usr/bin/sway --config /etc/sway/vdagent-e2e.conf
Restart=on-failure

[Install]
WantedBy=graphical.target
`;

/**
 * The sway variant of the guest, cached as `sway-KEY`: {@link SWAY_PACKAGES}, the user
 * {@link SWAY_USER} and the unit that logs them in at boot with sway on the DRM device.
 */
export function swayImage(root: string, base: GuestImage, phases: Phases): Promise<GuestImage> {
  return derivedImage(root, base, phases, {
    name: 'sway',
    packages: SWAY_PACKAGES,
    user: SWAY_USER,
    files: {
      '/etc/sway/vdagent-e2e.conf': { text: SWAY_CONFIG, mode: 0o644 },
      '/etc/systemd/system/vdagent-e2e-sway.service': { text: SESSION_UNIT, mode: 0o644 },
    },
    units: ['vdagent-e2e-sway.service'],
    source: readFileSync(fileURLToPath(import.meta.url), 'utf8'),
  });
}
