/**
 * `sceneToVideo.openTimelinesInEditor`: makes the timeline editor the default for *.timeline.json.
 * A custom editor's priority is fixed in package.json ("option": the JSON text editor stays the
 * default), and VS Code picks the default editor from `workbench.editorAssociations`, so turning
 * the setting on writes our association there (user settings), and turning it off removes it
 * again, only if it is still ours.
 */
import * as vscode from 'vscode';

export const OPEN_IN_EDITOR_SETTING = 'sceneToVideo.openTimelinesInEditor';
const PATTERN = '*.timeline.json';

export async function syncEditorAssociation(viewType: string): Promise<void> {
  const on = vscode.workspace.getConfiguration().get<boolean>(OPEN_IN_EDITOR_SETTING) === true;
  const workbench = vscode.workspace.getConfiguration('workbench');
  const current = workbench.inspect<Record<string, string>>('editorAssociations')?.globalValue ?? {};
  const ours = current[PATTERN] === viewType;
  if (on === ours) return;
  const next = Object.fromEntries(Object.entries(current).filter(([k]) => k !== PATTERN));
  if (on) next[PATTERN] = viewType;
  await workbench.update('editorAssociations', next, vscode.ConfigurationTarget.Global);
}

/** Keeps the association in step with the setting when it changes. */
export function watchEditorAssociation(viewType: string): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(OPEN_IN_EDITOR_SETTING)) void syncEditorAssociation(viewType);
  });
}
