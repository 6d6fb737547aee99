import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { run } from './exec.js';

/** The modules the initramfs loads to reach the root file system: virtio disk and ext4. */
const ROOT_MODULES = ['virtio_pci', 'virtio_blk', 'ext4'];

/** The initramfs's /init: load the modules, mount /dev/vda, hand over to systemd. */
const INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /dev /proc /newroot
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
for m in $(/bin/busybox cat /modules/order); do /bin/busybox insmod /modules/$m 2>/dev/null; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do /bin/busybox sleep 0.1; i=$((i + 1)); done
/bin/busybox mount -t ext4 -o rw /dev/vda /newroot || exec /bin/busybox sh
/bin/busybox umount /proc
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot /sbin/init
`;

/**
 * Writes `out`, an uncompressed newc initramfs holding a static busybox (from the extracted
 * busybox-static package `busyboxRoot`) and the root file system's modules from `rootfs`, in the
 * order modprobe would load them.
 */
export async function buildInitramfs(rootfs: string, kernelVersion: string, busyboxRoot: string, work: string, out: string): Promise<void> {
  const dir = join(work, 'initramfs');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'modules'), { recursive: true });
  copyFileSync(join(busyboxRoot, 'bin', 'busybox'), join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const plan = await run('chroot', [rootfs, 'modprobe', '-S', kernelVersion, '--show-depends', '-a', ...ROOT_MODULES]);
  const order: string[] = [];
  for (const line of plan.split('\n')) {
    const path = /^insmod (\S+)/.exec(line)?.[1];
    if (!path || order.includes(basename(path))) continue;
    order.push(basename(path));
    copyFileSync(join(rootfs, path), join(dir, 'modules', basename(path)));
  }
  writeFileSync(join(dir, 'modules', 'order'), order.join('\n') + '\n');
  writeFileSync(join(dir, 'init'), INIT, { mode: 0o755 });
  await run('sh', ['-c', `find . | cpio --quiet -o -H newc -R 0:0 > '${out}'`], { cwd: dir });
}
