/** "Upgrade timeline to v2": a thin wrapper over core/timeline/upgrade.ts (the CLI's `upgrade` uses the same). */
import * as vscode from 'vscode';
import { upgradeTimelineFile } from '../core/timeline/upgrade';
import { saveIfDirty, timelineFromArgument } from './timelines';

export async function upgradeTimelineCommand(file?: unknown): Promise<string | undefined> {
  const target = await timelineFromArgument(file);
  if (!target) return undefined;
  // Unsaved edits would be overwritten by the rewrite, or overwrite it: save them first.
  await saveIfDirty(target);
  const r = await upgradeTimelineFile(target);
  const name = vscode.workspace.asRelativePath(r.file);
  void vscode.window.showInformationMessage(
    r.changed ? `Upgraded ${name} to version 2: ${r.changes.join('; ')}.` : `${name} is version 2 already.`,
  );
  return r.file;
}
