import * as vscode from 'vscode';
import type { SceneToVideoApi } from '../../../src/vscode/api';

export const EXTENSION_ID = 'scene-to-video.scene-to-video';

export async function api(): Promise<SceneToVideoApi> {
  const ext = vscode.extensions.getExtension<SceneToVideoApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const workspaceDir = (): string => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
