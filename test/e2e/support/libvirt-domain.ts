import type { GuestImage } from './guest-image.js';
import { GUEST_PORTS } from './qemu.js';

/** What a test domain is made of. */
export interface DomainSpec {
  name: string;
  image: GuestImage;
  /** The qcow2 overlay over the cached root image (vda). */
  overlay: string;
  /** The data disk (vdb), read-only. */
  dataDisk: string;
  /** Where the serial console (kernel, systemd, the journal) is written. */
  console: string;
  /** The UNIX socket libvirt binds for the probe's port; the test connects to it. */
  probeSocket: string;
}

/** Escapes text for an XML attribute or element. */
function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/**
 * The domain XML: q35 under TCG with 2 vCPUs and 1 GiB, the image's kernel and initramfs booted
 * directly, S3 offered to the guest (dompmsuspend), a virtio NIC on user-mode networking, the
 * guest-agent channel libvirt manages itself (the one virsh's agent commands use) and the
 * probe's channel on `probeSocket`.
 */
export function domainXml(spec: DomainSpec): string {
  return `<domain type='qemu'>
  <name>${xml(spec.name)}</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <cpu mode='maximum' check='none'/>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${xml(spec.image.kernel)}</kernel>
    <initrd>${xml(spec.image.initrd)}</initrd>
    <cmdline>console=ttyS0 root=/dev/vda rw loglevel=4 systemd.journald.forward_to_console=1</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <pm>
    <suspend-to-mem enabled='yes'/>
    <suspend-to-disk enabled='no'/>
  </pm>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='${xml(spec.overlay)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${xml(spec.dataDisk)}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>
    <interface type='user'>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='${xml(spec.console)}'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <target type='virtio' name='${GUEST_PORTS.qga}'/>
    </channel>
    <channel type='unix'>
      <source mode='bind' path='${xml(spec.probeSocket)}'/>
      <target type='virtio' name='${GUEST_PORTS.probe}'/>
    </channel>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
