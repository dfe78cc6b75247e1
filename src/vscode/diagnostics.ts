/** The loader's problems in the Problems panel, at their line and column, as the user types. */
import * as vscode from 'vscode';
import { parseTimeline } from '../core/timeline/load';
import { isTimeline } from './timelines';

/** `fps()`: fastVideo.fps, the rate scenes without one render at; call `recheck()` when it changes. */
export function registerTimelineDiagnostics(ctx: vscode.ExtensionContext, fps: () => number): { recheck(): void } {
  const collection = vscode.languages.createDiagnosticCollection('scene-to-video');
  const timers = new Map<string, NodeJS.Timeout>();
  const check = (doc: vscode.TextDocument) => {
    if (!isTimeline(doc.uri) || doc.uri.scheme !== 'file') return;
    const r = parseTimeline(doc.getText(), { timelineFile: doc.uri.fsPath, fallbackFps: fps(), keyframesOutside: vscode.workspace.isTrusted ? 'warning' : 'error' });
    const problems = r.ok ? r.warnings : r.problems;
    collection.set(
      doc.uri,
      problems.map((p) => {
        const d = new vscode.Diagnostic(
          new vscode.Range(p.line - 1, p.column - 1, p.endLine - 1, Math.max(p.endColumn - 1, p.column)),
          p.message,
          p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        d.source = 'Scene to Video';
        d.code = p.code;
        return d;
      }),
    );
  };
  const debounced = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => check(doc), 250));
  };
  ctx.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => debounced(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)),
  );
  const recheck = () => vscode.workspace.textDocuments.forEach(check);
  recheck();
  return { recheck };
}
