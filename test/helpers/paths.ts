import * as path from 'node:path';

/** The repository root, from compiled tests in out/test/... */
export const repoRoot = path.resolve(__dirname, '../../..');
export const venvPython = path.join(
  repoRoot,
  'python',
  '.venv',
  process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python',
);
