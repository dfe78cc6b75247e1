/**
 * What the takes view shows and how it edits, computed without `vscode` so it is unit-tested: a
 * clip's takes as the webview receives them, and the one text edit that records a choice.
 */
import type { ClipTakes, Take } from '../core/takes/takes';
import type { PanelClipTakes, PanelTake } from '../protocol/messages';

/** The newest takes shown per clip (the chosen one is added when it is older). */
export const TAKES_SHOWN = 12;

/** One clip's row of the view: takes newest first (a screenful, plus the chosen one), and its link. */
export function clipTakesState(c: ClipTakes, i: number, asUri: (file: string) => string): PanelClipTakes {
  const shown = c.takes.slice(0, TAKES_SHOWN);
  if (c.chosen && !shown.some((t) => t.path === c.chosen?.path)) shown.push(c.chosen);
  return {
    clipId: c.clip.key ?? c.clip.id,
    title: c.clip.title,
    takes: shown.map((t) => panelTake(t, asUri)),
    ...(c.chosen ? { chosen: c.chosen.rel } : {}),
    chosenExplicitly: c.chosenExplicitly,
    ...(c.missing ? { missing: c.missing } : {}),
    canContinue: i > 0,
    continuity: !!c.continuity,
    ...(c.continuity?.take ? { continuityFrom: c.continuity.take } : {}),
    ...(c.outOfDate ? { outOfDate: c.outOfDate } : {}),
  };
}

function panelTake(t: Take, asUri: (file: string) => string): PanelTake {
  const a = t.artifact;
  return {
    videoPath: t.path,
    videoUri: asUri(t.path),
    rel: t.rel,
    ...(a
      ? {
          createdAt: a.createdAt,
          seed: a.seed,
          providerId: a.providerId,
          ...(a.model ? { model: a.model } : {}),
          ...(a.backend ? { backend: a.backend } : {}),
          ...(a.timings.totalMs ? { renderMs: a.timings.totalMs } : {}),
          width: a.width,
          height: a.height,
          numFrames: a.numFrames,
          fps: a.fps,
          ...(a.warnings.length ? { warnings: a.warnings.slice(0, 20) } : {}),
        }
      : {}),
  };
}
