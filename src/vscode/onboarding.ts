/**
 * First-run help for people who installed the .vsix: copy the bundled sample into a folder of
 * theirs, create the adapter's Python environment, and fall back to the preview backend on a
 * machine without an NVIDIA GPU, so the walkthrough ends in a rendered clip without editing files.
 */
import { execFile } from 'node:child_process';
import { cp, readdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError } from '../core/errors';

/** True when an NVIDIA driver answers; on macOS or without nvidia-smi, false. */
export function hasNvidiaGpu(): Promise<boolean> {
  return new Promise((resolve) => execFile('nvidia-smi', ['-L'], { timeout: 5000, windowsHide: true }, (err, out) => resolve(!err && /GPU \d/.test(out))));
}

export async function openSampleCommand(ctx: vscode.ExtensionContext): Promise<void> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Copy the sample here', title: 'Where should the sample project go? (a new "scene-to-video-sample" folder is created inside)' });
  if (!picked?.[0]) return;
  let dest = path.join(picked[0].fsPath, 'scene-to-video-sample');
  for (let n = 2; await readdir(dest).then(() => true, () => false); n++) dest = path.join(picked[0].fsPath, `scene-to-video-sample-${n}`);
  await cp(path.join(ctx.extensionPath, 'media', 'sample'), dest, { recursive: true, errorOnExist: true, force: false });
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(dest), { forceNewWindow: false });
}

/** Where the adapter's environment goes: the same place scripts/setup-fastvideo uses. */
export function defaultVenv(): string {
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return path.join(process.env.LOCALAPPDATA, 'SceneToVideo', 'venv');
  return path.join(process.env.STV_HOME ?? path.join(os.homedir(), '.scene-to-video'), 'venv');
}

/**
 * Creates the environment in a terminal the user can watch: the adapter from the extension's
 * bundled source, with the GPU extra only when an NVIDIA GPU is present.
 */
export async function setupAdapterCommand(ctx: vscode.ExtensionContext): Promise<void> {
  if (!vscode.workspace.isTrusted) throw new StvError('WORKSPACE_UNTRUSTED', 'This workspace is not trusted, so Scene to Video does not run the set-up.', 'Trust the workspace first.');
  const gpu = await hasNvidiaGpu();
  const venv = defaultVenv();
  const pkg = path.join(ctx.extensionPath, 'python');
  const win = process.platform === 'win32';
  const extra = gpu && !win ? '[gpu]' : '';
  const py = win ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
  const q = (s: string) => (win ? `'${s.replace(/'/g, "''")}'` : `'${s.replace(/'/g, `'\\''`)}'`);
  const lines = win
    ? [`py -3.12 -m venv ${q(venv)}; if (-not $?) { python -m venv ${q(venv)} }`, `& ${q(py)} -m pip install --upgrade pip`, `& ${q(py)} -m pip install ${q(pkg + extra)}`]
    : [`python3 -m venv ${q(venv)}`, `${q(py)} -m pip install --upgrade pip`, `${q(py)} -m pip install ${q(pkg + extra)}`];
  const term = vscode.window.createTerminal({ name: 'Scene to Video set-up', ...(win ? { shellPath: 'powershell.exe' } : {}) });
  term.show();
  for (const l of lines) term.sendText(l);
  void vscode.window.showInformationMessage(
    gpu
      ? `Installing the adapter with FastVideo into ${venv} (several GB). Then download the model: see docs/setup-linux.md or docs/setup-windows.md.`
      : `No NVIDIA GPU found: installing the adapter without FastVideo into ${venv}; it renders with the preview backend (not AI).`,
  );
  if (!gpu) await vscode.workspace.getConfiguration('fastVideo').update('backend', 'preview', vscode.ConfigurationTarget.Global);
}
