import { describe, expect, it } from 'vitest';
import { BASE_ENV, childEnvironment, unacceptableName } from '../../../../src/actions/admin/exec-env.js';

describe('the environment of guest-exec programs', () => {
  it('can never accept loader, shell, interpreter or helper-program variables', () => {
    const never = [
      'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'GCONV_PATH', 'GLIBC_TUNABLES', 'MALLOC_TRACE', 'LOCPATH', 'HOSTALIASES', 'NLSPATH', 'RES_OPTIONS', 'TMPDIR', 'TZDIR',
      'BASH_FUNC_date', 'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'IFS', 'CDPATH', 'PATH', 'HOME',
      'PYTHONPATH', 'PYTHONSTARTUP', 'PERL5OPT', 'PERL5LIB', 'RUBYOPT', 'NODE_OPTIONS', 'LUA_INIT', 'JAVA_TOOL_OPTIONS', 'GIT_SSH_COMMAND', 'XDG_CONFIG_HOME',
      'OPENSSL_CONF', 'PAGER', 'EDITOR', 'LESSOPEN',
    ];
    expect(never.filter((name) => unacceptableName(name) === undefined)).toEqual([]);
    expect(['LANG', 'LC_ALL', 'TZ', 'TERM', 'MY_APP_MODE'].map(unacceptableName)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(unacceptableName('BASH_FUNC_date%%')).toBe('is not a variable name');
  });

  it('is the fixed base plus the accepted variables; anything else refuses the request', () => {
    const accepted = new Set(['TZ', 'LANG']);
    expect(childEnvironment([], accepted)).toEqual({ ok: true, env: BASE_ENV });
    expect(childEnvironment(['TZ=UTC', 'LANG=de_DE.UTF-8', 'TZ=Europe/Paris'], accepted)).toEqual({
      ok: true,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'de_DE.UTF-8', TZ: 'Europe/Paris' },
    });
    expect(childEnvironment(['TZ=UTC', 'LD_PRELOAD=/tmp/x.so'], accepted)).toEqual({ ok: false, refused: 'LD_PRELOAD' });
    expect(childEnvironment(['TZ'], accepted)).toEqual({ ok: false, refused: 'TZ' });
    expect(childEnvironment(['=x'], accepted)).toEqual({ ok: false, refused: '' });
    // Even a set that holds one (it cannot, read from actions.d) does not pass it.
    expect(childEnvironment(['LD_PRELOAD=/tmp/x.so'], new Set(['LD_PRELOAD']))).toEqual({ ok: false, refused: 'LD_PRELOAD' });
  });
});
