/**
 * The timeline editor's intents applied to its text document: each becomes one WorkspaceEdit of
 * the minimal text edits src/core/timeline/authoring.ts computes, so the document stays the single
 * source of truth and Undo in either view takes it back. A text that is not JSON is never
 * changed (authoring refuses it); a dropped image is placed by keyframeImport before the keyframe
 * is written.
 */
import type { Edit } from 'jsonc-parser';
import * as vscode from 'vscode';
import { StvError } from '../core/errors';
import {
  addSceneEdits,
  addShotEdits,
  deleteEdits,
  duplicateEdits,
  moveEdits,
  setFieldEdits,
  setKeyframeEdits,
} from '../core/timeline/authoring';
import { importKeyframeBytes, importKeyframeFile } from '../core/timeline/keyframeImport';
import { starterTimelineText } from '../core/timeline/starter';
import type { WebviewToExtension } from '../protocol/messages';

export type EditorIntent = Extract<
  WebviewToExtension,
  {
    type:
      | 'edit'
      | 'addScene'
      | 'addShot'
      | 'duplicate'
      | 'delete'
      | 'move'
      | 'dropKeyframe'
      | 'dropKeyframeBytes'
      | 'startTimeline';
  }
>;
const INTENTS = new Set<string>([
  'edit',
  'addScene',
  'addShot',
  'duplicate',
  'delete',
  'move',
  'dropKeyframe',
  'dropKeyframeBytes',
  'startTimeline',
]);
export const isEditorIntent = (m: WebviewToExtension): m is EditorIntent => INTENTS.has(m.type);

/** Applies jsonc edits to the document as one WorkspaceEdit (one undo step). */
export async function applyTextEdits(doc: vscode.TextDocument, edits: Edit[]): Promise<void> {
  if (edits.length === 0) return;
  const we = new vscode.WorkspaceEdit();
  for (const e of edits)
    we.replace(doc.uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
  if (!(await vscode.workspace.applyEdit(we)))
    throw new StvError(
      'INVALID_REQUEST',
      `VS Code did not apply the change to ${vscode.workspace.asRelativePath(doc.uri)}; nothing was changed.`,
      'Is the file read-only? Try the change again, or make it in the text.',
    );
}

function timelineFileOf(doc: vscode.TextDocument): string {
  if (doc.uri.scheme !== 'file')
    throw new StvError(
      'INVALID_REQUEST',
      'A keyframe can only be dropped on a timeline saved as a file; nothing was changed.',
      'Save the timeline first.',
    );
  return doc.uri.fsPath;
}

async function keyframeEdits(doc: vscode.TextDocument, m: EditorIntent): Promise<Edit[]> {
  if (m.type !== 'dropKeyframe' && m.type !== 'dropKeyframeBytes') return [];
  const file = timelineFileOf(doc);
  let rel: string;
  if (m.type === 'dropKeyframe') {
    const uri = vscode.Uri.parse(m.uri, true);
    if (uri.scheme !== 'file')
      throw new StvError(
        'INVALID_REQUEST',
        `Only a file on this machine can be a keyframe (dropped: ${uri.scheme}:…); nothing was changed.`,
        'Save the image into the project folder and drop it from the Explorer.',
      );
    rel = (await importKeyframeFile(file, uri.fsPath)).rel;
  } else rel = (await importKeyframeBytes(file, m.name, Buffer.from(m.base64, 'base64'))).rel;
  // Read the text after the copy: the user may have typed meanwhile.
  return setKeyframeEdits(doc.getText(), m.item, m.which, rel);
}

/** The edits an intent makes to the document's current text. */
export async function intentEdits(doc: vscode.TextDocument, m: EditorIntent): Promise<Edit[]> {
  const text = doc.getText();
  switch (m.type) {
    case 'edit':
      return setFieldEdits(text, m.item, m.field, m.value);
    case 'addScene':
      return addSceneEdits(text, m.after).edits;
    case 'addShot':
      return addShotEdits(text, m.item).edits;
    case 'duplicate':
      return duplicateEdits(text, m.item).edits;
    case 'delete':
      return deleteEdits(text, m.item);
    case 'move':
      return moveEdits(text, m.item, m.to);
    case 'startTimeline':
      // Only into an empty document: the editor never replaces what someone wrote.
      return text.trim() === '' ? [{ offset: 0, length: text.length, content: starterTimelineText() }] : [];
    default:
      return keyframeEdits(doc, m);
  }
}

export async function applyEditorIntent(doc: vscode.TextDocument, m: EditorIntent): Promise<void> {
  await applyTextEdits(doc, await intentEdits(doc, m));
}

/** The keyboard's way to a keyframe: an image picked in a file dialog, set as if it had been dropped. */
export async function chooseKeyframe(
  doc: vscode.TextDocument,
  m: Extract<WebviewToExtension, { type: 'chooseKeyframe' }>,
): Promise<void> {
  const [image] =
    (await vscode.window.showOpenDialog({
      canSelectMany: false,
      defaultUri: vscode.Uri.joinPath(doc.uri, '..'),
      filters: { Images: ['png', 'jpg', 'jpeg', 'webp'] },
      openLabel: `Use as ${m.which} keyframe`,
    })) ?? [];
  if (image)
    await applyEditorIntent(doc, { type: 'dropKeyframe', item: m.item, which: m.which, uri: image.toString() });
}
