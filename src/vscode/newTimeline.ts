/**
 * "New timeline": writes a starter timeline (one scene) and opens it, so a user with an empty
 * folder has something to render. Never overwrites: an existing name gets a numbered sibling.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError } from '../core/errors';
import { starterTimelineText, timelineFileName } from '../core/timeline/starter';

/** `where`: a folder from the Explorer's context menu (or a file in it); else the workspace's first. */
export async function newTimelineCommand(where?: unknown): Promise<string | undefined> {
  const folder = await targetFolder(where);
  if (!folder) return undefined;
  const typed = await vscode.window.showInputBox({
    title: 'New timeline',
    prompt: `A name for the timeline (created in ${vscode.workspace.asRelativePath(folder, true) || folder})`,
    value: 'my-first',
    valueSelection: [0, 8],
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Give the timeline a name.'),
  });
  if (typed === undefined) return undefined;
  const file = await writeNew(
    folder,
    timelineFileName(typed),
    starterTimelineText(typed.trim().replace(/\.timeline\.json$/i, '')),
  );
  const doc = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(doc);
  return file;
}

async function targetFolder(where: unknown): Promise<string | undefined> {
  if (where instanceof vscode.Uri && where.scheme === 'file') {
    const stat = await vscode.workspace.fs.stat(where).then(
      (s) => s,
      () => undefined,
    );
    return stat?.type === vscode.FileType.Directory ? where.fsPath : path.dirname(where.fsPath);
  }
  const first = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  if (first) return first.uri.fsPath;
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Create the timeline here',
    title: 'New timeline: which folder?',
  });
  return picked?.[0]?.fsPath;
}

/** Creates `name` in `folder` exclusively (flag wx), numbering it while the name is taken. */
async function writeNew(folder: string, name: string, text: string): Promise<string> {
  const stem = name.replace(/\.timeline\.json$/, '');
  for (let n = 1; n < 100; n++) {
    const file = path.join(folder, n === 1 ? name : `${stem}-${n}.timeline.json`);
    try {
      await writeFile(file, text, { flag: 'wx' });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StvError(
          'OUTPUT_NOT_WRITABLE',
          `Could not create ${file}: ${(e as Error).message}.`,
          'Pick a folder you can write to.',
        );
    }
  }
  throw new StvError(
    'OUTPUT_NOT_WRITABLE',
    `${folder} already has ${stem}.timeline.json and 98 numbered copies.`,
    'Choose another name.',
  );
}
