import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'python/**',
      '.tools/**',
      'esbuild.mjs',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The core must stay testable in plain Node.
      'no-restricted-imports': 'off',
    },
  },
  {
    // Every folder but the extension's own (src/vscode) stays free of `vscode`: the core, the CLI,
    // the protocol and the webview bundle all run outside an extension host.
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    ignores: ['src/vscode/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'Only src/vscode may import vscode (see docs/architecture.md).' }] },
      ],
    },
  },
  {
    // Long functions hide their steps (issue 17): split them, or say on the line above why one is long.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
);
