import { isPendingName } from './pending-file.js';

/** How many numbered alternatives are tried when a name is taken: `name (1).ext` … `name (63).ext`. */
export const MAX_NAME_ATTEMPTS = 63;

/**
 * The client's file name if it is a plain base name: not empty, not `.` or `..`, without `/` or
 * NUL, and not a name of the module's temporary files (the next helper would remove the file).
 * Undefined otherwise (the name is refused, never repaired into another path).
 */
export function safeName(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || isPendingName(name)) return undefined;
  return name;
}

/**
 * The names to try in order: the name itself, then `stem (n).ext` for n = 1…63. The extension is
 * what follows the last dot, unless that dot starts the name (`.bashrc (1)`).
 */
export function candidateNames(name: string): string[] {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const out = [name];
  for (let n = 1; n <= MAX_NAME_ATTEMPTS; n++) out.push(`${stem} (${n})${ext}`);
  return out;
}
