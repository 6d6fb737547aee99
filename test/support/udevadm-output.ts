/** The banner `udevadm monitor --udev` prints before its first event. */
export const UDEVADM_BANNER = 'monitor will print the received events for:\nUDEV - the event which udev sends out after rule processing\n\n';

/** udevadm monitor --udev --subsystem-match=drm --property, as Debian 12's systemd 252 prints a qxl hotplug. */
export const QXL_HOTPLUG = `UDEV  [52.311245] change   /devices/pci0000:00/0000:00:01.0/drm/card0 (drm)
ACTION=change
DEVPATH=/devices/pci0000:00/0000:00:01.0/drm/card0
SUBSYSTEM=drm
HOTPLUG=1
DEVNAME=/dev/dri/card0
DEVTYPE=drm_minor
SEQNUM=2371
USEC_INITIALIZED=5129873
MAJOR=226
MINOR=0

`;
