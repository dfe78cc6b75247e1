/**
 * Editing help for *.timeline.json beyond the schema: file-path completion for keyframes (images
 * under the timeline's folder) and quick fixes for the problems the diagnostics report: a
 * misspelt key, a size or frame count the model cannot take, a keyframe that is not there but a
 * similar image is.
 */
import * as path from 'node:path';
import { getLocation } from 'jsonc-parser';
import * as vscode from 'vscode';
import { closestKeyframe, listKeyframeImages, unknownKeyFix } from '../core/timeline/suggest';
import { nearestFrameCounts, nearestSides } from '../core/timeline/validSizes';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { isTimeline } from './timelines';

const SELECTOR: vscode.DocumentSelector = [
  { language: 'json', pattern: '**/*.timeline.json' },
  { language: 'jsonc', pattern: '**/*.timeline.json' },
];

export function registerTimelineEditing(): vscode.Disposable[] {
  return [
    vscode.languages.registerCompletionItemProvider(
      SELECTOR,
      { provideCompletionItems: keyframeCompletions },
      '"',
      '/',
    ),
    vscode.languages.registerCodeActionsProvider(
      SELECTOR,
      { provideCodeActions: quickFixes },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
  ];
}

/**
 * Whether a JSON path names a keyframe value: version 1's scenes[i].keyframe, or version 2's
 * keyframes.start / keyframes.end of a scene or a shot.
 */
function isKeyframePath(path: (string | number)[]): boolean {
  if (path[0] !== 'scenes') return false;
  const last = path[path.length - 1];
  return last === 'keyframe' || ((last === 'start' || last === 'end') && path[path.length - 2] === 'keyframes');
}

/** The string being typed as a keyframe value: its range inside the quotes. */
function keyframeValueRange(doc: vscode.TextDocument, pos: vscode.Position): vscode.Range | undefined {
  const offset = doc.offsetAt(pos);
  const loc = getLocation(doc.getText(), offset);
  if (loc.isAtPropertyKey || !isKeyframePath(loc.path)) return undefined;
  const node = loc.previousNode;
  if (!node || node.type !== 'string') return undefined;
  // Inside the quotes only: from after the opening quote to before the closing one (if typed yet).
  const start = doc.positionAt(node.offset + 1);
  const raw = doc.getText(new vscode.Range(doc.positionAt(node.offset), doc.positionAt(node.offset + node.length)));
  const end = doc.positionAt(node.offset + node.length - (raw.length > 1 && raw.endsWith('"') ? 1 : 0));
  return new vscode.Range(start, end);
}

async function keyframeCompletions(
  doc: vscode.TextDocument,
  pos: vscode.Position,
): Promise<vscode.CompletionItem[] | undefined> {
  if (!isTimeline(doc.uri) || doc.uri.scheme !== 'file') return undefined;
  const range = keyframeValueRange(doc, pos);
  if (!range) return undefined;
  const images = await listKeyframeImages(path.dirname(doc.uri.fsPath));
  return images.map((rel, i) => {
    const item = new vscode.CompletionItem(rel, vscode.CompletionItemKind.File);
    item.range = range;
    item.detail = 'Keyframe image (relative to the timeline)';
    // Before the JSON language server's value suggestions; the first one is selected.
    item.sortText = ` ${String(i).padStart(4, '0')}`;
    item.preselect = i === 0;
    return item;
  });
}

async function quickFixes(
  doc: vscode.TextDocument,
  _range: vscode.Range,
  context: vscode.CodeActionContext,
): Promise<vscode.CodeAction[]> {
  const out: vscode.CodeAction[] = [];
  for (const d of context.diagnostics) {
    if (d.source !== DIAGNOSTIC_SOURCE) continue;
    const text = doc.getText(d.range);
    const replace = (title: string, replacement: string, preferred = false) => {
      const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
      a.edit = new vscode.WorkspaceEdit();
      a.edit.replace(doc.uri, d.range, replacement);
      a.diagnostics = [d];
      a.isPreferred = preferred;
      out.push(a);
    };
    switch (d.code) {
      case 'unknown-field': {
        const fix = unknownKeyFix(d.message);
        if (fix && text.replace(/^"|"$/g, '') === fix.key)
          replace(`Rename to "${fix.replacement}"`, JSON.stringify(fix.replacement), true);
        break;
      }
      case 'invalid-size':
      case 'invalid-frames': {
        const n = Number(text);
        if (!Number.isFinite(n)) break;
        const near = d.code === 'invalid-size' ? nearestSides(n) : nearestFrameCounts(n);
        near.forEach((v, i) => replace(`Use ${v}`, String(v), i === 0));
        break;
      }
      case 'keyframe-missing': {
        const typed = parseString(text);
        if (typed === undefined) break;
        const match = closestKeyframe(typed, await listKeyframeImages(path.dirname(doc.uri.fsPath)));
        if (match) replace(`Use "${match}"`, JSON.stringify(match), true);
        break;
      }
    }
  }
  return out;
}

function parseString(text: string): string | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
