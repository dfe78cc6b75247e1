/**
 * The timeline editor as a custom text editor for *.timeline.json: "Open With…" → Scene to Video
 * timeline, or by default with `workbench.editorAssociations` (the priority in package.json is
 * "option", so the JSON text editor stays the default unless the user chooses otherwise). "Open
 * scene panel" opens it beside the text. VS Code keeps the document (undo, redo, dirty marker,
 * save, hot exit); the editor only ever changes it with WorkspaceEdits.
 */
import * as vscode from 'vscode';
import { watchEditorAssociation } from './editorAssociation';
import type { PanelDeps } from './panel';

export const TIMELINE_EDITOR_VIEW_TYPE = 'sceneToVideo.timeline';

class TimelineEditorProvider implements vscode.CustomTextEditorProvider {
  constructor(private readonly deps: PanelDeps) {}

  async resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): Promise<void> {
    // Loaded when the first editor opens, not at activation (see openEditors.ts).
    const { ScenePanel } = await import('./panel.js');
    panel.webview.options = ScenePanel.options(this.deps.ctx, document.uri.fsPath);
    new ScenePanel(this.deps, panel, document.uri.fsPath, document);
  }
}

export function registerTimelineEditor(deps: PanelDeps): vscode.Disposable {
  return vscode.Disposable.from(watchEditorAssociation(TIMELINE_EDITOR_VIEW_TYPE), registerProvider(deps));
}

function registerProvider(deps: PanelDeps): vscode.Disposable {
  return vscode.window.registerCustomEditorProvider(TIMELINE_EDITOR_VIEW_TYPE, new TimelineEditorProvider(deps), {
    // Hidden editors rebuild from the document when shown again (setState keeps what they showed meanwhile).
    webviewOptions: { retainContextWhenHidden: false },
    supportsMultipleEditorsPerDocument: true,
  });
}

/** Opens the editor for a timeline: where it is already open, else beside the active editor. */
export async function openTimelineEditor(file: string): Promise<void> {
  const uri = vscode.Uri.file(file);
  const open = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs.map((t) => ({ t, g })))
    .find(
      ({ t }) =>
        t.input instanceof vscode.TabInputCustom &&
        t.input.viewType === TIMELINE_EDITOR_VIEW_TYPE &&
        t.input.uri.toString() === uri.toString(),
    );
  await vscode.commands.executeCommand(
    'vscode.openWith',
    uri,
    TIMELINE_EDITOR_VIEW_TYPE,
    // Beside the text when the text is what the user is looking at; else where the user is.
    {
      viewColumn: open
        ? open.g.viewColumn
        : vscode.window.activeTextEditor
          ? vscode.ViewColumn.Beside
          : vscode.ViewColumn.Active,
    },
  );
}
