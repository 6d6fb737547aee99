// @ts-check
import tseslint from 'typescript-eslint';

const NODE_IO = ['fs', 'net', 'tty', 'dgram', 'child_process', 'worker_threads', 'os', 'http', 'https', 'readline', 'timers', 'process', 'events', 'stream'];
const IMPURE = [...NODE_IO, ...NODE_IO.map((m) => `node:${m}`), 'winston', 'serialport', 'koffi', 'dbus-next'];
const IMPURE_GLOBALS = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'process', 'console', 'require'];

/**
 * A pure layer: no Node I/O, no timers, no logging, and relative imports only as `outside` allows.
 * @param {string[]} files
 * @param {string} outside a regular expression matching imports that leave the layer
 * @param {string} layer
 */
function pure(files, outside, layer) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { paths: IMPURE, patterns: [{ regex: outside, message: `${layer} imports nothing outside itself` }] }],
      'no-restricted-globals': ['error', ...IMPURE_GLOBALS.map((name) => ({ name, message: `${layer} is pure: no timers, no process, no logging` }))],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The protocol layer is a pure codec.
  pure(['src/protocol/*.ts'], '^\\.\\./', 'src/protocol'),
  pure(['src/protocol/*/*.ts'], '^\\.\\./\\.\\./', 'src/protocol'),
  // The QEMU guest-agent framing is pure too; it may share the protocol layer's error type.
  pure(['src/qga/*.ts'], '^\\.\\./(?!protocol/errors\\.js$)', 'src/qga'),
);
