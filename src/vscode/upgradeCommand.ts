/** "Upgrade timeline to v2": a thin wrapper over core/timeline/upgrade.ts (the CLI's `upgrade` uses the same). */
import * as vscode from 'vscode';
import { upgradeTimelineFile } from '../core/timeline/upgrade';

export async function upgradeTimelineCommand(file?: unknown): Promise<string | undefined> {
  let target =
    typeof file === 'string'
      ? file
      : file instanceof vscode.Uri
        ? file.fsPath
        : vscode.window.activeTextEditor?.document.uri.fsPath;
  if (!target?.endsWith('.timeline.json')) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { Timeline: ['json'] },
      title: 'Upgrade which timeline to version 2?',
    });
    target = picked?.[0]?.fsPath;
  }
  if (!target) return undefined;
  // Unsaved edits would be overwritten by the rewrite, or overwrite it: save them first.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === target);
  if (open?.isDirty) await open.save();
  const r = await upgradeTimelineFile(target);
  const name = vscode.workspace.asRelativePath(r.file);
  void vscode.window.showInformationMessage(
    r.changed ? `Upgraded ${name} to version 2: ${r.changes.join('; ')}.` : `${name} is version 2 already.`,
  );
  return r.file;
}
