import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { DEFAULT_PROFILE_DIRS, type EntryStep, type ProfileDirs, ProfileError, type ProfilePlan, listProfiles, planProfile, readProfile } from './profile-plan.js';

/** What a line says about an entry, before and after applying. */
const ENTRY_WORDS: Record<EntryStep['state'], { before: string; after: string }> = {
  missing: { before: 'link', after: 'linked' },
  linked: { before: 'ok', after: 'ok' },
  own: { before: 'keep', after: 'keep' },
  masked: { before: 'masked', after: 'masked' },
  unavailable: { before: 'missing', after: 'missing' },
};

/** The report lines of a plan; `applied` says whether its missing parts were just created. */
export function describePlan(plan: ProfilePlan, applied: boolean): string[] {
  const lines = [`profile ${plan.profile.name}: ${plan.profile.summary}`];
  for (const e of plan.entries) {
    const word = ENTRY_WORDS[e.state][applied ? 'after' : 'before'].padEnd(7);
    if (e.state === 'missing' || e.state === 'linked') lines.push(`  ${word} ${e.path} -> ${e.target}`);
    else if (e.state === 'own') lines.push(`  ${word} ${e.path} (your own entry, left as it is)`);
    else if (e.state === 'masked') lines.push(`  ${word} ${e.path} -> /dev/null (left off: remove it to enable ${e.name})`);
    else lines.push(`  ${word} ${e.target} (this vdagent version has no ${e.name} action)`);
  }
  const d = plan.dropIn;
  if (d !== undefined) {
    if (d.state === 'missing') lines.push(`  ${(applied ? 'copied' : 'copy').padEnd(7)} ${d.source} -> ${d.path}`);
    else if (d.state === 'same') lines.push(`  ${'ok'.padEnd(7)} ${d.path}`);
    else lines.push(`  ${'differs'.padEnd(7)} ${d.path} (left as it is: compare with ${d.source})`);
  }
  return lines;
}

/** True when applying would leave the profile short: an action masked, unavailable, or another drop-in text. */
function incomplete(plan: ProfilePlan): boolean {
  return plan.entries.some((e) => e.state === 'masked' || e.state === 'unavailable') || plan.dropIn?.state === 'differs';
}

/**
 * Creates what the plan lacks: the links to the shipped entries and the drop-in (mode 0644, in
 * directories of mode 0755). Never replaces anything that is there. Refuses the whole profile
 * when this version lacks one of its entries, so nothing half-applied is left behind.
 */
export function applyPlan(plan: ProfilePlan, dirs: ProfileDirs): void {
  const unavailable = plan.entries.filter((e) => e.state === 'unavailable').map((e) => e.name);
  if (unavailable.length > 0) throw new ProfileError(`this vdagent version has no ${unavailable.join(', ')} in ${dirs.available}; nothing changed`);
  const missing = plan.entries.filter((e) => e.state === 'missing');
  if (missing.length > 0) mkdirSync(dirs.actions, { recursive: true, mode: 0o755 });
  for (const e of missing) symlinkSync(e.target, e.path);
  if (plan.dropIn?.state === 'missing') {
    mkdirSync(dirs.dropIns, { recursive: true, mode: 0o755 });
    writeFileSync(plan.dropIn.path, plan.dropIn.text, { mode: 0o644, flag: 'wx' });
  }
}

/** Where the command writes. */
export interface ProfileOutput {
  out(line: string): void;
  err(line: string): void;
}

const STDIO: ProfileOutput = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(`vdagent profile: ${line}\n`),
};

/** Prints each profile with its summary; exit 1 when one cannot be read (named). */
function listAll(dirs: ProfileDirs, io: ProfileOutput): number {
  let code = 0;
  for (const n of listProfiles(dirs)) {
    try {
      io.out(`${n.padEnd(10)} ${readProfile(dirs, n).summary}`);
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      io.err(err.message);
      code = 1;
    }
  }
  return code;
}

/**
 * `vdagent profile [NAME [--apply]]`: without a name, lists the profiles; with one, prints what
 * applying it would do; with --apply, does it. Exit 0 when the profile is (or would be) in place
 * in full, 1 when something is left short (an unknown profile, an action masked or missing from
 * this version, another drop-in text, a file that could not be written), which the lines name.
 */
export function runProfile(name: string | undefined, apply: boolean, dirs: ProfileDirs = DEFAULT_PROFILE_DIRS, io: ProfileOutput = STDIO): number {
  if (name === undefined) return listAll(dirs, io);
  try {
    const before = planProfile(readProfile(dirs, name), dirs);
    if (!apply) {
      for (const line of describePlan(before, false)) io.out(line);
      io.out('(nothing changed: run again with --apply)');
      return incomplete(before) ? 1 : 0;
    }
    applyPlan(before, dirs);
    for (const line of describePlan(before, true)) io.out(line);
    if (before.dropIn?.state === 'missing') io.out('now run: systemctl daemon-reload && systemctl restart vdagent');
    return incomplete(before) ? 1 : 0;
  } catch (err) {
    if (!(err instanceof ProfileError) && typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
    io.err((err as Error).message);
    if (!listProfiles(dirs).includes(name)) io.err(`profiles: ${listProfiles(dirs).join(', ') || '(none)'}`);
    return 1;
  }
}
