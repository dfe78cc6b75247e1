/** Finding, loading and picking timelines and scenes in the workspace. */
import * as vscode from 'vscode';
import { StvError } from '../core/errors';
import type { Settings } from '../core/settings/schema';
import type { LoadResult } from '../core/timeline/load';
import type { ResolvedScene, SceneFallbacks } from '../core/timeline/resolve';
import type { Timeline } from '../core/timeline/schema';
import { keepPickerOpen } from './quickPick';

export const TIMELINE_GLOB = '**/*.timeline.json';

export function isTimeline(uri: vscode.Uri): boolean {
  return uri.path.endsWith('.timeline.json');
}

/**
 * Loads from the open editor's text when there is one (unsaved edits count), else from disk.
 * `fallbackFps`: the rate a scene without one renders at (fastVideo.fps), for the length checks.
 */
export async function loadTimeline(file: string, fallbackFps?: number): Promise<LoadResult> {
  // The loader and its zod schemas load with the first timeline read, not at activation.
  const { decodeTimelineBytes, encodingProblem, parseTimeline } = await import('../core/timeline/load.js');
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  const decoded = doc
    ? { ok: true as const, text: doc.getText() }
    : decodeTimelineBytes(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
  if (!decoded.ok) return { ok: false, problems: [encodingProblem(decoded)] };
  const keyframesOutside = vscode.workspace.isTrusted ? 'warning' : 'error'; // issue 14: the keyframe boundary
  return parseTimeline(decoded.text.replace(/^\uFEFF/, ''), {
    timelineFile: file,
    keyframesOutside,
    ...(fallbackFps !== undefined ? { fallbackFps } : {}),
  });
}

export async function loadResolved(
  file: string,
  settings: Settings,
): Promise<{ timeline: Timeline; scenes: ResolvedScene[] }> {
  const r = await loadTimeline(file, settings.fastVideo.fps);
  if (!r.ok)
    throw new StvError(
      'TIMELINE_INVALID',
      `${vscode.workspace.asRelativePath(file)} has ${r.problems.length} problem(s), e.g. line ${r.problems[0]?.line}: ${r.problems[0]?.message}`,
      'Fix them (see the Problems panel) and render again.',
    );
  const { resolveScenes } = await import('../core/timeline/resolve.js');
  return { timeline: r.timeline, scenes: resolveScenes(r.timeline, file, sceneFallbacks(settings)) };
}

/** What a scene gets from fastVideo.* where neither it nor its timeline's defaults say. */
export function sceneFallbacks({ fastVideo: fv }: Settings): SceneFallbacks {
  return { width: fv.width, height: fv.height, fps: fv.fps, numFrames: fv.numFrames, seed: fv.seed };
}

/** The active editor's timeline, else the only one in the workspace, else a quick pick. */
/**
 * The timeline a command acts on: its argument (a path, or the Explorer's Uri), else the active
 * timeline editor, else one the user picks from the workspace (pickTimeline).
 */
export async function timelineFromArgument(arg: unknown): Promise<string | undefined> {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  return pickTimeline();
}

/** Saves unsaved edits of an open timeline before a command reads or rewrites the file on disk. */
export async function saveIfDirty(file: string): Promise<void> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (open?.isDirty) await open.save();
}

export async function pickTimeline(): Promise<string | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isTimeline(active)) return active.fsPath;
  // The timeline editor (a custom editor) has no text editor: its tab names the file.
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom && isTimeline(tab.uri) && tab.uri.scheme === 'file') return tab.uri.fsPath;
  const files = await vscode.workspace.findFiles(TIMELINE_GLOB, '**/node_modules/**', 200);
  if (files.length === 0) {
    void vscode.window
      .showWarningMessage(
        'No *.timeline.json in this workspace. Start a new one, or import a gemDirect1 project.',
        'New timeline',
        'Import gemDirect1 project',
      )
      .then((p) => {
        if (p === 'New timeline') void vscode.commands.executeCommand('sceneToVideo.newTimeline');
        if (p === 'Import gemDirect1 project') void vscode.commands.executeCommand('sceneToVideo.importGemDirect');
      });
    return undefined;
  }
  if (files.length === 1) return files[0]?.fsPath;
  const pick = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), file: f.fsPath })),
    { placeHolder: 'Which timeline?', ignoreFocusOut: keepPickerOpen() },
  );
  return pick?.file;
}

export async function pickScene(scenes: ResolvedScene[]): Promise<ResolvedScene | undefined> {
  const pick = await vscode.window.showQuickPick(
    scenes.map((s) => ({
      label: s.title,
      description: s.key ?? s.id,
      detail: `${s.width}×${s.height} · ${s.numFrames} frames @ ${s.fps} fps · ${s.prompt.slice(0, 120)}`,
      scene: s,
    })),
    { placeHolder: 'Which scene?', matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: keepPickerOpen() },
  );
  return pick?.scene;
}
