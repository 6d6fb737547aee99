import type { GuestInterface, ProbeQuestions } from './probe-questions.js';

/** A block-device file system mounted in the guest. */
export interface GuestFilesystem {
  mountpoint: string;
  /** The device's name, e.g. vda. */
  name: string;
  type: string;
}

/** The password field of `user`'s shadow entry in the guest. */
export async function shadowHash(guest: ProbeQuestions, user: string): Promise<string> {
  const line = (await guest.text('/etc/shadow')).split('\n').find((l) => l.startsWith(`${user}:`));
  return line?.split(':')[1] ?? '';
}

/** The guest's wall clock in seconds. */
export async function guestSeconds(guest: ProbeQuestions): Promise<number> {
  return Number(await guest.output('/usr/bin/date', '+%s'));
}

/** The file systems on the guest's virtio disks, as /proc/mounts lists them. */
export async function guestFilesystems(guest: ProbeQuestions): Promise<GuestFilesystem[]> {
  return (await guest.text('/proc/mounts'))
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[0]?.startsWith('/dev/vd'))
    .map((f) => ({ mountpoint: f[1] ?? '', name: (f[0] ?? '').replace('/dev/', ''), type: f[2] ?? '' }));
}

/** The addresses of the guest's interfaces as `name mac ipvN address/prefix`, sorted. */
export function addressRows(interfaces: readonly GuestInterface[]): string[] {
  return interfaces.flatMap((i) => i.addresses.map((a) => `${i.name} ${i.mac} ${a.family.toLowerCase()} ${a.address}/${a.prefix}`)).sort();
}

/** `user`'s authorized_keys in the guest: its lines, and the file's and ~/.ssh's `uid:gid mode`. */
export async function authorizedKeys(guest: ProbeQuestions, user: string): Promise<{ keys: string[]; file: string; dir: string }> {
  const path = `/home/${user}/.ssh/authorized_keys`;
  const text = await guest.text(path);
  const [file, dir] = [await guest.stat(path), await guest.stat(`/home/${user}/.ssh`)];
  const owner = (s: { uid: number; gid: number; mode: number }): string => `${s.uid}:${s.gid} ${s.mode.toString(8)}`;
  return { keys: text.split('\n').filter(Boolean), file: owner(file), dir: owner(dir) };
}

/** The `uid:gid` of `user` in the guest. */
export async function ids(guest: ProbeQuestions, user: string): Promise<string> {
  const line = (await guest.text('/etc/passwd')).split('\n').find((l) => l.startsWith(`${user}:`)) ?? '';
  return line.split(':').slice(2, 4).join(':');
}
