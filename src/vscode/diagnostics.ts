/**
 * The loader's problems in the Problems panel, at their line and column, as the user types. They
 * are the only report of a timeline problem: the editor's JSON schema validates nothing (see
 * timelineEditorJsonSchema), so no problem shows twice. Quick fixes: timelineEditing.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TimelineProblem } from '../core/timeline/load';
import { closestKeyframe, listKeyframeImages } from '../core/timeline/suggest';
import { isTimeline } from './timelines';

export const DIAGNOSTIC_SOURCE = 'Scene to Video';

/** `fps()`: fastVideo.fps, the rate scenes without one render at; call `recheck()` when it changes. */
export function registerTimelineDiagnostics(ctx: vscode.ExtensionContext, fps: () => number): { recheck(): void } {
  const collection = vscode.languages.createDiagnosticCollection('scene-to-video');
  const timers = new Map<string, NodeJS.Timeout>();
  const check = async (doc: vscode.TextDocument) => {
    if (!isTimeline(doc.uri) || doc.uri.scheme !== 'file') return;
    const version = doc.version;
    // The loader and its zod schemas load with the first timeline document, not at activation.
    const { parseTimeline } = await import('../core/timeline/load.js');
    if (doc.version !== version || doc.isClosed) return;
    const r = parseTimeline(doc.getText(), {
      timelineFile: doc.uri.fsPath,
      fallbackFps: fps(),
      keyframesOutside: vscode.workspace.isTrusted ? 'warning' : 'error',
    });
    const problems = await withKeyframeSuggestions(r.ok ? r.warnings : r.problems, doc);
    // A newer edit has its own check under way; this one's positions may no longer fit.
    if (doc.version !== version || doc.isClosed) return;
    collection.set(doc.uri, problems.map(toDiagnostic));
  };
  const debounced = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => void check(doc), 250),
    );
  };
  ctx.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument((d) => void check(d)),
    vscode.workspace.onDidChangeTextDocument((e) => debounced(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)),
    // A keyframe added or renamed on disk can fix (or cause) a problem in an open timeline.
    vscode.workspace.onDidCreateFiles(() => recheck()),
    vscode.workspace.onDidRenameFiles(() => recheck()),
    vscode.workspace.onDidDeleteFiles(() => recheck()),
  );
  const recheck = () => vscode.workspace.textDocuments.forEach((d) => void check(d));
  recheck();
  return { recheck };
}

function toDiagnostic(p: TimelineProblem): vscode.Diagnostic {
  const d = new vscode.Diagnostic(
    new vscode.Range(p.line - 1, p.column - 1, p.endLine - 1, Math.max(p.endColumn - 1, p.column)),
    p.message,
    p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  d.source = DIAGNOSTIC_SOURCE;
  d.code = p.code;
  return d;
}

/** A missing keyframe's message names the image it most likely meant (the quick fix uses it). */
async function withKeyframeSuggestions(
  problems: TimelineProblem[],
  doc: vscode.TextDocument,
): Promise<TimelineProblem[]> {
  if (!problems.some((p) => p.code === 'keyframe-missing')) return problems;
  const images = await listKeyframeImages(path.dirname(doc.uri.fsPath));
  return problems.map((p) => {
    if (p.code !== 'keyframe-missing') return p;
    const typed = /^Keyframe "((?:[^"\\]|\\.)*)"/.exec(p.message)?.[1];
    const match = typed === undefined ? undefined : closestKeyframe(typed, images);
    return match ? { ...p, message: `${p.message} Did you mean "${match}"?` } : p;
  });
}
