// @ts-check
import tseslint from 'typescript-eslint';

const NODE_IO = ['fs', 'net', 'tty', 'dgram', 'child_process', 'worker_threads', 'os', 'http', 'https', 'readline', 'timers', 'process', 'events', 'stream'];

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The protocol layer is a pure codec: no Node I/O, no timers, no logging, nothing outside itself.
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_IO, ...NODE_IO.map((m) => `node:${m}`), 'winston', 'serialport', 'koffi', 'dbus-next'],
          patterns: [{ group: ['../../*'], message: 'src/protocol imports nothing outside itself' }],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'process', 'console', 'require'].map((name) => ({
          name,
          message: 'src/protocol is pure: no timers, no process, no logging',
        })),
      ],
    },
  },
  {
    files: ['src/protocol/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_IO, ...NODE_IO.map((m) => `node:${m}`), 'winston', 'serialport', 'koffi', 'dbus-next'],
          patterns: [{ group: ['../*'], message: 'src/protocol imports nothing outside itself' }],
        },
      ],
    },
  },
  {
    // The QEMU guest-agent framing is pure too; it may share the protocol layer's error type.
    files: ['src/qga/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_IO, ...NODE_IO.map((m) => `node:${m}`), 'winston', 'serialport', 'koffi', 'dbus-next'],
          patterns: [{ group: ['../*', '!../protocol/errors.js', '../../*'], message: 'src/qga imports only src/protocol/errors' }],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'process', 'console', 'require'].map((name) => ({
          name,
          message: 'src/qga is pure: no timers, no process, no logging',
        })),
      ],
    },
  },
);
