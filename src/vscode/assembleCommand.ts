/**
 * "Assemble timeline": a thin wrapper over core/assembly (the CLI's `assemble` uses the same plan
 * and ffmpeg): the chosen take of every clip into films/<timeline>_<stamp>.mp4, with progress and
 * cancel in a notification, then offers to open the film. The panel's Assemble button (takesView.ts)
 * runs the same assembleTimeline() with its progress in the panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assemble, defaultFilmPath, type AssembleResult } from '../core/assembly/assemble';
import { missingTakesError, missingTakes, planCut } from '../core/assembly/plan';
import { StvError } from '../core/errors';
import { locateFfmpeg, type Ffmpeg } from '../core/ffmpeg/ffmpeg';
import { pythonCandidates } from '../core/launch/adapterLaunch';
import { outputDirFor } from '../core/providers/factory';
import { PROVIDER_IDS } from '../core/providers/types';
import type { Settings } from '../core/settings/schema';
import { timelineTakes, type TakesOptions } from '../core/takes/takes';
import { loadTimelineFile } from '../core/timeline/load';
import type { Timeline } from '../core/timeline/schema';
import { saveIfDirty, timelineFromArgument } from './timelines';

/** The renders folder the cut takes its takes from: that of the timeline's provider, else the active one. */
export function cutOutputRoot(timeline: Timeline, timelineFile: string, s: Settings): string {
  const provider = timeline.defaults.provider ?? s.videoProvider;
  return path.resolve(path.dirname(timelineFile), outputDirFor(provider, s));
}

/** Where a clip's takes are: the cut's renders folder, and every provider's when their outputDirs differ. */
export function takeFolders(timeline: Timeline, timelineFile: string, s: Settings): TakesOptions {
  return {
    outputRoot: cutOutputRoot(timeline, timelineFile, s),
    moreRoots: PROVIDER_IDS.map((id) => path.resolve(path.dirname(timelineFile), outputDirFor(id, s))),
  };
}

/**
 * The configured ffmpeg, else the adapter environment's imageio-ffmpeg (core/ffmpeg says why). Never
 * in an untrusted workspace: finding it runs a Python, possibly the workspace's own.
 */
export async function findFfmpeg(extensionPath: string, s: Settings): Promise<Ffmpeg> {
  if (!vscode.workspace.isTrusted)
    throw new StvError(
      'WORKSPACE_UNTRUSTED',
      'Assembling and extracting continuity keyframes run ffmpeg, which Scene to Video does not start in an untrusted workspace.',
      'Trust the workspace (Manage Workspace Trust), then try again.',
    );
  const workspaceDirs = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return locateFfmpeg({
    ...(s.ffmpegPath ? { configured: s.ffmpegPath } : {}),
    env: process.env,
    // The adapter's own Python first when one is configured: it has imageio-ffmpeg.
    pythons: pythonCandidates({
      platform: process.platform,
      ...(s.fastVideo.pythonPath ? { configured: s.fastVideo.pythonPath } : {}),
      workspaceDirs,
      extensionDir: extensionPath,
    }),
  });
}

/**
 * Saves the timeline if it has unsaved edits, then assembles its chosen takes into a new film.
 * `onStart` hears how many takes go in once the plan is made (the probing before it can take a moment).
 */
export async function assembleTimeline(
  timelineFile: string,
  extensionPath: string,
  s: Settings,
  opts: { signal?: AbortSignal; onProgress?: (fraction: number) => void; onStart?: (takes: number) => void },
): Promise<{ result: AssembleResult; ff: Ffmpeg }> {
  await saveIfDirty(timelineFile);
  const loaded = await loadTimelineFile(timelineFile);
  if (!loaded.ok)
    throw new StvError(
      'TIMELINE_INVALID',
      `${path.basename(timelineFile)} has ${loaded.problems.length} problem(s), e.g. line ${loaded.problems[0]?.line}: ${loaded.problems[0]?.message}`,
      'Fix them (see the Problems panel), then assemble again.',
    );
  const ff = await findFfmpeg(extensionPath, s);
  const clips = await timelineTakes(loaded.timeline, timelineFile, takeFolders(loaded.timeline, timelineFile, s));
  if (missingTakes(clips).length) throw missingTakesError(missingTakes(clips));
  const plan = await planCut(loaded.timeline, timelineFile, clips, ff);
  opts.onStart?.(plan.clips.length);
  const result = await assemble(plan, ff, {
    out: defaultFilmPath(timelineFile),
    uniqueName: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return { result, ff };
}

/** One line for a finished film: where, how long, copied or encoded, and which ffmpeg. */
export function filmSummary(result: AssembleResult, ff: Ffmpeg): string {
  const name = vscode.workspace.asRelativePath(result.film);
  return `Assembled ${name} (${result.durationSeconds.toFixed(1)} s, ${result.mode === 'copy' ? 'streams copied' : 'encoded'}; ffmpeg from ${ff.source}).`;
}

export async function assembleTimelineCommand(
  extensionPath: string,
  settings: () => Settings,
  file?: unknown,
): Promise<string | undefined> {
  const timelineFile = await timelineFromArgument(file);
  if (!timelineFile) return undefined;
  const { result, ff } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Assembling the film', cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let last = 0;
      return assembleTimeline(timelineFile, extensionPath, settings(), {
        signal: ac.signal,
        onStart: (n) => progress.report({ message: `${n} take(s)` }),
        onProgress: (f) => {
          const pct = Math.floor(f * 100);
          if (pct > last) progress.report({ increment: pct - last, message: `${pct}%` });
          last = Math.max(last, pct);
        },
      });
    },
  );
  const choice = await vscode.window.showInformationMessage(filmSummary(result, ff), 'Open film');
  if (choice === 'Open film') await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(result.film));
  return result.film;
}
