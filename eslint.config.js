// @ts-check
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import { layerRule } from './eslint/layer-rule.js';

const NODE_IO = ['fs', 'net', 'tty', 'dgram', 'child_process', 'worker_threads', 'os', 'http', 'https', 'readline', 'timers', 'process', 'events', 'stream'];
const IMPURE = [...NODE_IO, ...NODE_IO.map((m) => `node:${m}`), 'winston', 'serialport', 'koffi', 'dbus-next'];
const IMPURE_GLOBALS = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'process', 'console', 'require'];

/**
 * A pure layer: no Node I/O, no timers, no logging (which folders it may import is the layer table's business).
 * @param {string} folder
 * @returns {import('eslint').Linter.Config}
 */
function pure(folder) {
  const layer = `src/${folder}`;
  return {
    files: [`${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { paths: IMPURE.map((name) => ({ name, message: `${layer} is pure: no Node I/O` })) }],
      'no-restricted-globals': ['error', ...IMPURE_GLOBALS.map((name) => ({ name, message: `${layer} is pure: no timers, no process, no logging` }))],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // One program for src, test and bench: tsconfig.test.json includes them all.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: fileURLToPath(new URL('.', import.meta.url)) },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Off: an async method that fulfils a Promise-returning contract (start, stop, close) without awaiting
      // is deliberate here; `async` turns a synchronous throw into a rejection the caller already handles.
      '@typescript-eslint/require-await': 'off',
      // Off: decoding compares numbers read off the wire (message types, X event types, error codes)
      // with the enums that name them; that comparison is the point, not a mix-up of two enums.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Off in tests: vitest's asymmetric matchers (expect.any, expect.stringMatching) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  // Plain Node scripts outside the TypeScript program (packaging, fixtures, the e2e guest probe).
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // Every folder of src/ imports only what the layer table allows.
  {
    files: ['src/**/*.ts'],
    plugins: { layers: { rules: { 'may-import': layerRule } } },
    rules: { 'layers/may-import': 'error' },
  },
  // The protocol codec and the QEMU guest-agent framing are pure.
  pure('protocol'),
  pure('qga'),
);
