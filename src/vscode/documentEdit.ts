import * as vscode from 'vscode';
import { StvError } from '../core/errors';
import { minimalEdit } from '../core/timeline/minimalEdit';

/**
 * Writes `after` (what a command made of `before`, the document's text when it started) into the
 * document as one minimal WorkspaceEdit, then saves, so the file on disk (which the CLI, renders and
 * the assembly read) agrees and one Undo in any editor of it takes the change back. When the text
 * changed meanwhile (the command copied or extracted a file first), the user's typing wins: nothing
 * is written and the error says to try again.
 */
export async function replaceDocumentText(
  doc: vscode.TextDocument,
  before: string,
  after: string,
  what: string,
): Promise<void> {
  const name = vscode.workspace.asRelativePath(doc.uri);
  if (doc.getText() !== before)
    throw new StvError('TIMELINE_INVALID', `${name} changed while ${what}; nothing was written.`, 'Try again.');
  const e = minimalEdit(before, after);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.text);
  if (!(await vscode.workspace.applyEdit(edit)))
    throw new StvError(
      'INTERNAL',
      `VS Code refused the edit of ${name}.`,
      'Try again; if it keeps failing, reload the window.',
    );
  await doc.save();
}
