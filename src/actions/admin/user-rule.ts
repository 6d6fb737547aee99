/** Which users an admin action may change: the entry's `users = NAME NAME…` setting. */
export interface UserRule {
  /** The entry's file, for log lines (undefined when the action is off). */
  readonly entry: string | undefined;
  /**
   * Whether the host may change this user (uid when known). `*` or no setting means every user but
   * root; root (by name, or any account with uid 0) only when the list names that account.
   */
  allows(name: string, uid: number | undefined): boolean;
}

/** The rule of an entry's `users` setting (undefined: the setting is absent). */
export function userRule(entry: string | undefined, setting: string | undefined): UserRule {
  const names = new Set((setting ?? '*').split(/\s+/).filter(Boolean));
  const everyone = names.has('*');
  return {
    entry,
    allows: (name, uid) => (name === 'root' || uid === 0 ? names.has(name) : everyone || names.has(name)),
  };
}
