/**
 * Reads settings through the core's typed model. In an untrusted workspace, values of the
 * restricted settings (Python path, model path, auto-start, launch, workflow path) come only from
 * user settings: a cloned repository cannot make us run its interpreter.
 *
 * The model (zod and the settings schema: 45–95 ms in Node, a large part of activation before)
 * loads on the first full read, which is the first health check a moment after activation, a
 * command or an editor; activation itself reads only the provider the status bar names
 * (shownProvider()).
 */
import * as vscode from 'vscode';
import { PROVIDER_IDS, type ProviderId } from '../core/providers/types';
import type * as DescriptionsModule from '../core/settings/descriptions';
import type * as SchemaModule from '../core/settings/schema';
import type { Settings, SettingProblem } from '../core/settings/schema';

/* eslint-disable @typescript-eslint/no-require-imports -- Settings are read synchronously all over
   the extension, so the model loads with a synchronous require on first use; esbuild bundles these
   as modules evaluated on that first call, and the tests' tsc output resolves them as usual. */
const settingsModel = (): typeof SchemaModule => require('../core/settings/schema') as typeof SchemaModule;
const descriptions = (): typeof DescriptionsModule =>
  require('../core/settings/descriptions') as typeof DescriptionsModule;
/* eslint-enable @typescript-eslint/no-require-imports */

/** The settings package.json lists in restrictedConfigurations (one list, in the settings model). */
let restricted: Set<string> | undefined;

export function currentSettings(): { settings: Settings; problems: SettingProblem[] } {
  const trusted = vscode.workspace.isTrusted;
  return settingsModel().readSettings((key) => {
    const dot = key.indexOf('.');
    const cfg = vscode.workspace.getConfiguration(key.slice(0, dot));
    const name = key.slice(dot + 1);
    if (!trusted && (restricted ??= new Set(descriptions().restrictedSettingKeys())).has(key))
      return cfg.inspect(name)?.globalValue;
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

/**
 * The provider the status bar names at activation, before the full read: the setting when it is a
 * provider id, else its default (package.json's, which test/unit/settings.test.ts keeps equal to
 * the model's). The full read a moment later settles it and reports a bad value.
 */
export function shownProvider(): ProviderId {
  const cfg = vscode.workspace.getConfiguration('sceneToVideo');
  const isId = (v: unknown): v is ProviderId => PROVIDER_IDS.some((id) => id === v);
  const value = cfg.get('videoProvider');
  const fallback = cfg.inspect('videoProvider')?.defaultValue;
  return isId(value) ? value : isId(fallback) ? fallback : PROVIDER_IDS[0];
}
