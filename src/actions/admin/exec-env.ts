/** The environment every guest-exec program starts with; accepted names from the host come on top. */
export const BASE_ENV: Readonly<Record<string, string>> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

/**
 * Variables that make a program load, run or read code or configuration it was not asked to:
 * glibc's own list of variables it drops for setuid programs (unsecvars) and its loader's, the
 * shells', interpreters' and libraries' hooks, and helpers programs start (pager, editor). An
 * exec entry can never accept them, whatever it names.
 */
const INJECTION_NAMES: ReadonlySet<string> = new Set([
  // glibc unsecvars beyond the LD_ and MALLOC_ families.
  'GCONV_PATH',
  'GETCONF_DIR',
  'GLIBC_TUNABLES',
  'HOSTALIASES',
  'LOCALDOMAIN',
  'LOCPATH',
  'NIS_PATH',
  'NLSPATH',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'TMPDIR',
  'TZDIR',
  // Where programs and configuration are looked up.
  'PATH',
  'HOME',
  'CDPATH',
  'FPATH',
  'ZDOTDIR',
  // Shells: startup files, exported options and functions, trace prompts, word splitting.
  'ENV',
  'BASH_ENV',
  'BASHOPTS',
  'SHELLOPTS',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'IFS',
  'GLOBIGNORE',
  'PROMPT_COMMAND',
  'HISTFILE',
  'INPUTRC',
  // Interpreters and runtimes without a common prefix.
  'CLASSPATH',
  'JDK_JAVA_OPTIONS',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'TCLLIBPATH',
  'PHPRC',
  'PHP_INI_SCAN_DIR',
  'R_PROFILE',
  'R_PROFILE_USER',
  'R_ENVIRON',
  'R_ENVIRON_USER',
  'GUILE_LOAD_PATH',
  'EMACSLOADPATH',
  // Libraries that load modules or configuration named by the environment.
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
  'OPENSSL_MODULES',
  'SSLKEYLOGFILE',
  'KRB5_CONFIG',
  'SASL_PATH',
  'GTK_MODULES',
  'GTK_PATH',
  'GIO_MODULE_DIR',
  'GI_TYPELIB_PATH',
  'QT_PLUGIN_PATH',
  'TERMINFO',
  'TERMINFO_DIRS',
  'TERMCAP',
  // Helper programs other programs start.
  'PAGER',
  'MANPAGER',
  'SYSTEMD_PAGER',
  'EDITOR',
  'VISUAL',
  'BROWSER',
  'SHELL',
  'LESSOPEN',
  'LESSCLOSE',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'SUDO_EDITOR',
]);

/** Families of such variables, by prefix. */
const INJECTION_PREFIXES: readonly string[] = [
  'LD_', // the dynamic loader: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, LD_DEBUG_OUTPUT…
  'MALLOC_', // glibc malloc: MALLOC_TRACE writes a file, tunables change the heap
  'DYLD_',
  'BASH_', // BASH_FUNC_name%% (exported functions replace commands), BASH_XTRACEFD…
  'PYTHON', // PYTHONPATH, PYTHONSTARTUP, PYTHONHOME, PYTHONINSPECT…
  'PERL', // PERL5LIB, PERL5OPT, PERLLIB, PERL5DB…
  'RUBY', // RUBYOPT, RUBYLIB
  'GEM_',
  'BUNDLE_',
  'NODE_', // NODE_OPTIONS, NODE_PATH
  'LUA_', // LUA_INIT runs code
  'GIT_', // GIT_SSH_COMMAND, GIT_CONFIG_*, GIT_EXEC_PATH…
  'XDG_', // configuration and data directories
  'GST_PLUGIN',
  'SYSTEMD_',
];

/** A variable name as the shells accept it. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why an exec entry may not accept this name, or undefined when it may. */
export function unacceptableName(name: string): string | undefined {
  if (!NAME.test(name)) return 'is not a variable name';
  if (INJECTION_NAMES.has(name) || INJECTION_PREFIXES.some((p) => name.startsWith(p))) {
    return 'can make a program load or run other code, and can never be accepted';
  }
  return undefined;
}

/** The child's environment, or the first requested variable the entry does not accept. */
export type ChildEnv = { ok: true; env: Record<string, string> } | { ok: false; refused: string };

/**
 * The environment a guest-exec program runs with: BASE_ENV, then the host's `NAME=value` strings
 * for names the entry accepts. A string without `=` or with a name not accepted refuses it all.
 */
export function childEnvironment(requested: readonly string[], accepted: ReadonlySet<string>): ChildEnv {
  const env: Record<string, string> = { ...BASE_ENV };
  for (const entry of requested) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (eq <= 0 || !accepted.has(name) || unacceptableName(name)) return { ok: false, refused: name };
    env[name] = entry.slice(eq + 1);
  }
  return { ok: true, env };
}
