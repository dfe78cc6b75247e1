/**
 * First-run help for people who installed the .vsix: copy the bundled sample into a folder of
 * theirs, create the adapter's Python environment (preview backend without a GPU, FastVideo with
 * one), and report when it is done, so the walkthrough ends in a rendered clip without editing files.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, readdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError } from '../core/errors';
import { log } from './log';
import { setupSteps, type SetupKind } from './setupSteps';

/** True when an NVIDIA driver answers; on macOS or without nvidia-smi, false. */
export function hasNvidiaGpu(): Promise<boolean> {
  return new Promise((resolve) =>
    execFile('nvidia-smi', ['-L'], { timeout: 5000, windowsHide: true }, (err, out) =>
      resolve(!err && /GPU \d/.test(out)),
    ),
  );
}

export async function openSampleCommand(ctx: vscode.ExtensionContext): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Copy the sample here',
    title: 'Where should the sample project go? (a new "scene-to-video-sample" folder is created inside)',
  });
  if (!picked?.[0]) return;
  let dest = path.join(picked[0].fsPath, 'scene-to-video-sample');
  for (
    let n = 2;
    await readdir(dest).then(
      () => true,
      () => false,
    );
    n++
  )
    dest = path.join(picked[0].fsPath, `scene-to-video-sample-${n}`);
  await cp(path.join(ctx.extensionPath, 'media', 'sample'), dest, {
    recursive: true,
    errorOnExist: true,
    force: false,
  });
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(dest), { forceNewWindow: false });
}

/** Where the adapter's environment goes: the same place scripts/setup-fastvideo uses. */
export function defaultVenv(): string {
  if (process.platform === 'win32' && process.env.LOCALAPPDATA)
    return path.join(process.env.LOCALAPPDATA, 'SceneToVideo', 'venv');
  return path.join(process.env.STV_HOME ?? path.join(os.homedir(), '.scene-to-video'), 'venv');
}

/** The palette command: asks preview or GPU (GPU first when an NVIDIA GPU answers), sets up, starts. */
export async function setupAdapterCommand(ctx: vscode.ExtensionContext): Promise<void> {
  const gpu = await hasNvidiaGpu();
  const items = [
    { label: 'Preview (no GPU)', description: 'CPU only; animates each keyframe, not AI', setup: 'preview' as const },
    {
      label: 'FastVideo (NVIDIA GPU)',
      description: gpu ? 'an NVIDIA GPU answers on this machine' : 'no NVIDIA GPU answers on this machine',
      setup: 'gpu' as const,
    },
  ];
  const pick = await vscode.window.showQuickPick(gpu ? items.reverse() : items, {
    placeHolder: 'Set up the FastVideo adapter for which backend?',
    ignoreFocusOut: true,
  });
  if (!pick) return;
  await runSetup(ctx, pick.setup);
  await vscode.commands.executeCommand('sceneToVideo.startAdapter');
}

/**
 * Creates the environment with the adapter from the extension's bundled source, step by step
 * under a cancellable progress notification (pip's output goes to the log), and sets
 * fastVideo.backend to match. Resolves when it is done; throws SETUP_FAILED with the step.
 */
export async function runSetup(ctx: vscode.ExtensionContext, kind: SetupKind): Promise<void> {
  if (!vscode.workspace.isTrusted)
    throw new StvError(
      'WORKSPACE_UNTRUSTED',
      'This workspace is not trusted, so Scene to Video does not run the set-up.',
      'Trust the workspace first.',
    );
  const venv = defaultVenv();
  const steps = setupSteps(process.platform, venv, path.join(ctx.extensionPath, 'python'), kind);
  log().info(`setting up the FastVideo adapter (${kind}) in ${venv}`);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Setting up the FastVideo adapter', cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      for (const [i, step] of steps.entries()) {
        progress.report({
          message: `${step.title} (${i + 1} of ${steps.length})…`,
          increment: i === 0 ? 0 : 100 / steps.length,
        });
        await runStep(step.argv, step.title, abort.signal);
      }
    },
  );
  const backend = kind === 'gpu' ? 'fastvideo' : 'preview';
  if (vscode.workspace.getConfiguration('fastVideo').get('backend') !== backend)
    await vscode.workspace.getConfiguration('fastVideo').update('backend', backend, vscode.ConfigurationTarget.Global);
  const what =
    kind === 'gpu'
      ? 'with FastVideo (download the model next: see the setup guide)'
      : 'with the preview backend (not AI)';
  log().info(`the FastVideo adapter is set up in ${venv} ${what}`);
  void vscode.window.showInformationMessage(`The FastVideo adapter is set up in ${venv} ${what}.`);
}

/** Runs the first argv that starts; its output goes to the log. */
async function runStep(alternatives: string[][], title: string, signal: AbortSignal): Promise<void> {
  let lastError = '';
  for (const argv of alternatives) {
    const [cmd, ...args] = argv;
    if (!cmd) continue;
    log().info(`set-up: ${argv.join(' ')}`);
    const result = await new Promise<{ started: boolean; code: number | null; error?: string }>((resolve) => {
      const child = spawn(cmd, args, { windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'], signal });
      const relay = (b: Buffer) =>
        b
          .toString('utf8')
          .split(/\r?\n/)
          .filter(Boolean)
          .forEach((l) => log().info(`  ${l}`));
      child.stdout.on('data', relay);
      child.stderr.on('data', relay);
      child.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ started: e.code !== 'ENOENT', code: null, error: e.message }),
      );
      child.on('close', (code) => resolve({ started: true, code }));
    });
    if (signal.aborted) throw new StvError('CANCELLED', 'The set-up was cancelled.');
    if (!result.started) {
      lastError = `${cmd} was not found`;
      continue;
    }
    if (result.code === 0) return;
    throw new StvError(
      'SETUP_FAILED',
      `Setting up the FastVideo adapter failed while ${title} (exit code ${result.code ?? '?'}${result.error ? `: ${result.error}` : ''}).`,
      "Show log has the installer's output; the usual causes are no network to PyPI or an unsupported Python (3.10–3.12).",
    );
  }
  throw new StvError(
    'SETUP_FAILED',
    `Setting up the FastVideo adapter failed while ${title}: ${lastError}.`,
    'Install Python 3.10–3.12 (python3 on Linux and macOS, the py launcher on Windows) and run the set-up again.',
  );
}
