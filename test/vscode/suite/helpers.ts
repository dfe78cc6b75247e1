import * as vscode from 'vscode';
import type { SceneToVideoApi } from '../../../src/vscode/api';
import { until as untilShared } from '../../helpers/until';

export const EXTENSION_ID = 'scene-to-video.scene-to-video';

export async function api(): Promise<SceneToVideoApi> {
  const ext = vscode.extensions.getExtension<SceneToVideoApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** `until` with the extension host's longer default: a render there goes through a real adapter. */
export const until = <T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> =>
  untilShared(what, fn, timeoutMs, 100);

export const workspaceDir = (): string => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
