/**
 * "Assemble timeline": a thin wrapper over core/assembly (the CLI's `assemble` uses the same plan
 * and ffmpeg): the chosen take of every clip into films/<timeline>_<stamp>.mp4, with progress and
 * cancel in a notification, then offers to open the film.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assemble, defaultFilmPath } from '../core/assembly/assemble';
import { missingTakesError, missingTakes, planCut } from '../core/assembly/plan';
import { locateFfmpeg } from '../core/ffmpeg/ffmpeg';
import { pythonCandidates } from '../core/launch/adapterLaunch';
import { outputDirFor } from '../core/providers/factory';
import type { Settings } from '../core/settings/schema';
import { timelineTakes } from '../core/takes/takes';
import { loadTimelineFile } from '../core/timeline/load';
import { saveIfDirty, timelineFromArgument } from './timelines';

export async function assembleTimelineCommand(
  extensionPath: string,
  settings: () => Settings,
  file?: unknown,
): Promise<string | undefined> {
  const timelineFile = await timelineFromArgument(file);
  if (!timelineFile) return undefined;
  await saveIfDirty(timelineFile);
  const loaded = await loadTimelineFile(timelineFile);
  if (!loaded.ok) {
    void vscode.window.showErrorMessage(
      `${path.basename(timelineFile)} has ${loaded.problems.length} problem(s); see the Problems panel.`,
    );
    return undefined;
  }
  const s = settings();
  const provider = loaded.timeline.defaults.provider ?? s.videoProvider;
  const outputRoot = path.resolve(path.dirname(timelineFile), outputDirFor(provider, s));
  const workspaceDirs = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const ff = await locateFfmpeg({
    ...(s.ffmpegPath ? { configured: s.ffmpegPath } : {}),
    env: process.env,
    pythons: pythonCandidates({ platform: process.platform, workspaceDirs, extensionDir: extensionPath }),
  });
  const clips = await timelineTakes(loaded.timeline, timelineFile, { outputRoot });
  if (missingTakes(clips).length) throw missingTakesError(missingTakes(clips));
  const plan = await planCut(loaded.timeline, timelineFile, clips, ff);
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Assembling ${plan.clips.length} take(s)`,
      cancellable: true,
    },
    async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let last = 0;
      return assemble(plan, ff, {
        out: defaultFilmPath(timelineFile),
        uniqueName: true,
        signal: ac.signal,
        onProgress: (f) => {
          const pct = Math.floor(f * 100);
          if (pct > last) progress.report({ increment: pct - last, message: `${pct}%` });
          last = Math.max(last, pct);
        },
      });
    },
  );
  const name = vscode.workspace.asRelativePath(result.film);
  const choice = await vscode.window.showInformationMessage(
    `Assembled ${name} (${result.durationSeconds.toFixed(1)} s, ${result.mode === 'copy' ? 'streams copied' : 'encoded'}; ffmpeg from ${ff.source}).`,
    'Open film',
  );
  if (choice === 'Open film') await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(result.film));
  return result.film;
}
