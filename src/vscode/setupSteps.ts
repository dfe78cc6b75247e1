/**
 * The adapter's set-up as argv lists (no shell, no quoting) and the extension's wording of hints:
 * no `vscode` import, so both are unit-tested.
 */
import * as path from 'node:path';

export type SetupKind = 'preview' | 'gpu';

export interface SetupStep {
  title: string;
  /** Alternatives tried in order until one starts (Windows: the py launcher, then python). */
  argv: string[][];
}

/**
 * venv, pip upgrade, the adapter from the extension's bundled source (`pkgDir`), with FastVideo
 * (the `gpu` extra, Linux only: FastVideo has no Windows wheels; Windows renders through WSL).
 */
export function setupSteps(platform: NodeJS.Platform, venv: string, pkgDir: string, kind: SetupKind): SetupStep[] {
  const win = platform === 'win32';
  const py = win ? path.win32.join(venv, 'Scripts', 'python.exe') : path.posix.join(venv, 'bin', 'python');
  const extra = kind === 'gpu' && platform === 'linux' ? '[gpu]' : '';
  const create = win
    ? [
        ['py', '-3.12', '-m', 'venv', venv],
        ['python', '-m', 'venv', venv],
      ]
    : [['python3', '-m', 'venv', venv]];
  return [
    { title: 'creating the Python environment', argv: create },
    { title: 'updating pip', argv: [[py, '-m', 'pip', 'install', '--upgrade', 'pip']] },
    {
      title: kind === 'gpu' && extra ? 'installing the adapter with FastVideo (several GB)' : 'installing the adapter',
      argv: [[py, '-m', 'pip', 'install', `${pkgDir}${extra}`]],
    },
  ];
}

/**
 * A hint as the installed extension should say it: the core's hints also serve the CLI and a
 * clone of the repository, where "(or scripts/…)" is a real alternative; an installed extension
 * has no such scripts, so the reference goes and the command stays.
 */
export function forExtension(text: string): string {
  return text
    .replace(/\s*\((?:or )?`?scripts\/[^)]*\)/g, '')
    .replace(
      /then run `?scripts\/setup-fastvideo-wsl\.ps1`?/g,
      'then run "Scene to Video: Set up the FastVideo adapter"',
    );
}
