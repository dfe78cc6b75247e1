/**
 * `scene-to-video validate <timeline.json>`, and loadTimelineArg(), which render shares: the timeline
 * named on the command line, loaded and resolved, or the exit code after its problems were reported.
 */
import * as path from 'node:path';
import type { ResolvedScene } from '../core/timeline/resolve';
import { resolveScenes } from '../core/timeline/resolve';
import { loadTimelineFile, type LoadResult, type TimelineProblem } from '../core/timeline/load';
import { EXIT, type CliContext } from './context';
import { gemDirectHint } from './import';

export interface TimelineArg {
  /** As typed, for messages. */
  file: string;
  timelineFile: string;
  loaded: Extract<LoadResult, { ok: true }>;
  scenes: ResolvedScene[];
}

export function formatProblem(file: string, p: TimelineProblem): string {
  return `${file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`;
}

export async function loadTimelineArg({ positionals, err, usage }: CliContext): Promise<TimelineArg | number> {
  const file = positionals[0];
  if (!file) {
    err(`Name a timeline file.\n\n${usage}`);
    return EXIT.badInput;
  }
  const timelineFile = path.resolve(file);
  const loaded = await loadTimelineFile(timelineFile);
  if (!loaded.ok) {
    // A gemDirect1 file fails the schema in a dozen places; what helps is the import command.
    const hint = await gemDirectHint(timelineFile);
    if (hint) {
      err(hint);
      return EXIT.badInput;
    }
    for (const p of loaded.problems) err(formatProblem(file, p));
    err(`${loaded.problems.length} problem(s) in ${file}: fix them and run again.`);
    return EXIT.badInput;
  }
  for (const w of loaded.warnings) err(formatProblem(file, w));
  return { file, timelineFile, loaded, scenes: resolveScenes(loaded.timeline, timelineFile) };
}

export async function validateCommand(ctx: CliContext): Promise<number> {
  const arg = await loadTimelineArg(ctx);
  if (typeof arg === 'number') return arg;
  const { file, scenes } = arg;
  const lines = scenes.map(
    (s) =>
      `  ${s.key ?? s.id}  ${s.width}x${s.height} ${s.numFrames} frames @ ${s.fps} fps  seed ${s.seed}  "${s.title}"`,
  );
  ctx.io.stdout.write(`${file}: ${scenes.length} clip(s), no problems.\n${lines.join('\n')}\n`);
  return EXIT.ok;
}
