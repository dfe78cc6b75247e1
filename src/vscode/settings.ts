/**
 * Reads settings through the core's typed model. In an untrusted workspace, values of the
 * restricted settings (Python path, model path, auto-start, launch, workflow path) come only from
 * user settings: a cloned repository cannot make us run its interpreter.
 */
import * as vscode from 'vscode';
import { restrictedSettingKeys } from '../core/settings/descriptions';
import { readSettings, type Settings, type SettingProblem } from '../core/settings/schema';

/** The settings package.json lists in restrictedConfigurations (one list, in the settings model). */
export const RESTRICTED = new Set(restrictedSettingKeys());

export function currentSettings(): { settings: Settings; problems: SettingProblem[] } {
  const trusted = vscode.workspace.isTrusted;
  return readSettings((key) => {
    const dot = key.indexOf('.');
    const cfg = vscode.workspace.getConfiguration(key.slice(0, dot));
    const name = key.slice(dot + 1);
    if (!trusted && RESTRICTED.has(key)) return cfg.inspect(name)?.globalValue;
    return cfg.get(name);
  });
}

export const SETTING_SECTIONS = ['sceneToVideo', 'fastVideo', 'comfyUI'];

/** Whether the user (or the workspace) chose sceneToVideo.videoProvider, rather than it being the default. */
export function providerChosen(): boolean {
  const i = vscode.workspace.getConfiguration('sceneToVideo').inspect('videoProvider');
  return [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue].some((v) => v !== undefined);
}

/** Writes a setting where the user sees it take effect: this workspace when a folder is open, else user settings. */
export function updateSetting(section: string, key: string, value: unknown): Thenable<void> {
  const target = vscode.workspace.workspaceFolders
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  return vscode.workspace.getConfiguration(section).update(key, value, target);
}
