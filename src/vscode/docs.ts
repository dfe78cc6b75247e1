/**
 * The guides in docs/, which ship inside the .vsix. An installed extension's README cannot link to
 * them (VS Code's extension page follows only http, https and mailto links for a non-built-in
 * extension), so "Open documentation" is how a user without our repository reaches them.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { keepPickerOpen } from './quickPick';

let docsRoot: string | undefined;
export function setDocsRoot(dir: string): void {
  docsRoot = dir;
}

/** Opens a shipped guide as text, at the line of `heading` (a whole heading line, e.g. `### TIMEOUT`) when it has one. */
export async function openDocAt(file: string, heading?: string): Promise<void> {
  if (!docsRoot) return;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(docsRoot, file)));
  const line = heading
    ? doc
        .getText()
        .split(/\r?\n/)
        .findIndex((l) => l.trim() === heading)
    : -1;
  const editor = await vscode.window.showTextDocument(doc, { preview: true });
  if (line >= 0) {
    const pos = new vscode.Position(line, 0);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.AtTop);
  }
}

interface Guide {
  file: string;
  title: string;
}

/** The shipped guides, titled by their first `# ` heading. */
async function listGuides(dir: string): Promise<Guide[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await fs.readFile(path.join(dir, file), 'utf8');
      return { file, title: /^# (.+)$/m.exec(text)?.[1]?.trim() ?? file };
    }),
  );
}

/**
 * "Open documentation": a guide named by the argument (`comfyui.md`), else one picked from the list,
 * rendered in the Markdown preview so that its links to the other guides work.
 */
export async function openDocumentationCommand(name?: unknown): Promise<void> {
  if (!docsRoot) return;
  const guides = await listGuides(docsRoot);
  const named = typeof name === 'string' ? guides.find((g) => g.file === name || g.file === `${name}.md`) : undefined;
  if (typeof name === 'string' && !named)
    return void vscode.window.showWarningMessage(
      `There is no guide called "${name}". The guides are: ${guides.map((g) => g.file).join(', ')}.`,
    );
  const guide =
    named ??
    (
      await vscode.window.showQuickPick(
        guides.map((g) => ({ label: g.title, description: g.file, guide: g })),
        { placeHolder: 'Open which guide?', matchOnDescription: true, ignoreFocusOut: keepPickerOpen() },
      )
    )?.guide;
  if (!guide) return;
  const uri = vscode.Uri.file(path.join(docsRoot, guide.file));
  // The preview comes from VS Code's built-in Markdown extension, which a user can disable.
  await Promise.resolve(vscode.commands.executeCommand('markdown.showPreview', uri)).catch(() => openDocAt(guide.file));
}
