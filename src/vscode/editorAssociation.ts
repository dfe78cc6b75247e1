/**
 * `sceneToVideo.openTimelinesInEditor`: makes the timeline editor the default for *.timeline.json.
 * A custom editor's priority is fixed in package.json ("option": the JSON text editor stays the
 * default), and VS Code picks the default editor from `workbench.editorAssociations`, so turning
 * the setting on writes our association there, and turning it off removes it again, only if it is
 * still ours. Applied at activation (the setting may have been changed while the extension was not
 * running, or synced from another machine) and whenever it changes.
 *
 * Scope: the setting is an application setting and only the user's own value is read, because what
 * it writes is the user's settings. A workspace, trusted or not, cannot turn it on or off, so
 * opening a folder never changes which editor other folders use, and no workspace settings are
 * ever written.
 */
import * as vscode from 'vscode';
import { associationsFor } from './editorAssociationPlan';
import { log } from './log';

export const OPEN_IN_EDITOR_SETTING = 'sceneToVideo.openTimelinesInEditor';

export async function syncEditorAssociation(viewType: string): Promise<void> {
  const on = vscode.workspace.getConfiguration().inspect<boolean>(OPEN_IN_EDITOR_SETTING)?.globalValue === true;
  const workbench = vscode.workspace.getConfiguration('workbench');
  const current = workbench.inspect<Record<string, string>>('editorAssociations')?.globalValue;
  const next = associationsFor(on, current, viewType);
  if (next) await workbench.update('editorAssociations', next, vscode.ConfigurationTarget.Global);
}

const syncLogged = (viewType: string) =>
  syncEditorAssociation(viewType).catch((e: unknown) =>
    log().warn(`could not update workbench.editorAssociations for ${OPEN_IN_EDITOR_SETTING}: ${String(e)}`),
  );

/** Applies the setting now (activation) and keeps the association in step with it when it changes. */
export function watchEditorAssociation(viewType: string): vscode.Disposable {
  void syncLogged(viewType);
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(OPEN_IN_EDITOR_SETTING)) void syncLogged(viewType);
  });
}
