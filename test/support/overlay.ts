/**
 * A command prefix running a program in a private mount namespace where each target directory is
 * an overlay of its layer (a directory of the test's) over its own files: the layer's entries
 * shadow or add to the target's, and nothing outside the namespace changes. Needs root.
 */
export function overlaid(layers: readonly (readonly [target: string, layer: string])[]): string[] {
  const mounts = layers.map((_, i) => `/bin/mount -t overlay overlay -o lowerdir="\${${2 * i + 2}}":"\${${2 * i + 1}}" "\${${2 * i + 1}}"`);
  const script = [...mounts, `shift ${2 * layers.length}`, 'exec "$@"'].join(' && ');
  return ['/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', ...layers.flat()];
}
