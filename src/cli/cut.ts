/**
 * The cut's commands (issue 19), dispatched from cli.ts:
 *   takes <timeline> [--shot ID] [--json]        every take of each clip; * marks the one that counts
 *   choose <timeline> --shot ID <N|file>         record the chosen take (and re-link continuity)
 *   link <timeline>                              re-extract stale continuity keyframes
 *   assemble <timeline> [--out FILE] [--render-missing] [--json]
 *   export <timeline> --format otio|edl|fcpxml [--out FILE]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { StvError, toStvError } from '../core/errors';
import { pythonCandidates } from '../core/launch/adapterLaunch';
import { locateFfmpeg, type Ffmpeg } from '../core/ffmpeg/ffmpeg';
import { outputDirFor } from '../core/providers/factory';
import { DEFAULT_SETTINGS } from '../core/settings/schema';
import { assemble, defaultFilmPath } from '../core/assembly/assemble';
import { missingTakes, missingTakesError, planCut, type CutPlan } from '../core/assembly/plan';
import { exportCut, EXPORT_FORMATS, type ExportFormat } from '../core/export/export';
import { chooseTake, findClip, linkContinuity } from '../core/takes/edit';
import { timelineTakes, type ClipTakes } from '../core/takes/takes';
import { loadTimelineFile, type LoadResult } from '../core/timeline/load';
import type { Timeline } from '../core/timeline/schema';

export const CUT_COMMANDS = new Set(['takes', 'choose', 'link', 'assemble', 'export']);

export interface CutIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  interrupted: Promise<void>;
}

export interface CutDeps {
  repoRoot: string;
  /** Runs another CLI command (render, for --render-missing) and returns its exit code. */
  run: (argv: string[]) => Promise<number>;
}

const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;

export const CUT_USAGE = `  scene-to-video takes <timeline.json> [--shot ID] [--output DIR] [--json]   (the renders of each clip)
  scene-to-video choose <timeline.json> --shot ID <N|file>   (record the chosen take; N from "takes")
  scene-to-video link <timeline.json>              (re-extract continuity keyframes that are out of date)
  scene-to-video assemble <timeline.json> [--out FILE.mp4] [--render-missing] [--json]
                        (--render-missing takes render's --provider, --endpoint and --backend)
  scene-to-video export <timeline.json> --format otio|edl|fcpxml [--out FILE]
  --shot takes scene/shot, or a scene id for a scene without shots.
`;

export function outputRootOf(timelineFile: string, timeline: Timeline, output?: string): string {
  const provider = timeline.defaults.provider ?? DEFAULT_SETTINGS.videoProvider;
  return path.resolve(output ?? path.join(path.dirname(timelineFile), outputDirFor(provider, DEFAULT_SETTINGS)));
}

export function ffmpegFinder(repoRoot: string, env: NodeJS.ProcessEnv): () => Promise<Ffmpeg> {
  let found: Promise<Ffmpeg> | undefined;
  return () =>
    (found ??= locateFfmpeg({
      env,
      pythons: pythonCandidates({ platform: process.platform, workspaceDirs: [repoRoot] }),
    }));
}

function describeTake(c: ClipTakes, i: number): string {
  const t = c.takes[i];
  if (!t) return '';
  const a = t.artifact;
  const mark = c.chosen && path.resolve(c.chosen.path) === path.resolve(t.path) ? '*' : ' ';
  const meta = a
    ? `  seed ${a.seed}  ${a.width}x${a.height} ${a.numFrames}f@${a.fps}  ${a.providerId}${a.model ? ` ${a.model}` : ''}  ${a.createdAt}`
    : '';
  return `  ${mark} ${i + 1}  ${t.rel}${meta}`;
}

/** One cut command's view of the command line and of the timeline it names (loaded without problems). */
interface CutContext {
  command: string;
  file: string;
  timelineFile: string;
  loaded: Extract<LoadResult, { ok: true }>;
  o: CutOptions;
  positionals: string[];
  outputRoot: string;
  ffmpeg: () => Promise<Ffmpeg>;
  io: CutIo;
  deps: CutDeps;
  err: (line: string) => void;
  out: (line: string) => void;
}

interface CutOptions {
  shot?: string;
  out?: string;
  output?: string;
  format?: string;
  provider?: string;
  endpoint?: string;
  backend?: string;
  json?: boolean;
  'render-missing'?: boolean;
}

const CUT_OPTIONS = {
  shot: { type: 'string' },
  out: { type: 'string' },
  output: { type: 'string' },
  format: { type: 'string' },
  // Passed on to "render" for --render-missing.
  provider: { type: 'string' },
  endpoint: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean', default: false },
  'render-missing': { type: 'boolean', default: false },
} as const;

const CUT_HANDLERS = new Map<string, (c: CutContext) => Promise<number>>([
  ['takes', takesCommand],
  ['choose', chooseCommand],
  ['link', linkCommand],
  ['assemble', assembleOrExport],
  ['export', assembleOrExport],
]);

export async function cutMain(command: string, argv: string[], io: CutIo, deps: CutDeps): Promise<number> {
  const err = (line: string) => io.stderr.write(`${line}\n`);
  const out = (line: string) => io.stdout.write(`${line}\n`);
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: CUT_OPTIONS });
  } catch (e) {
    err(`${(e as Error).message}\n\nUsage:\n${CUT_USAGE}`);
    return EXIT.badInput;
  }
  const o = args.values;
  const file = args.positionals[0];
  if (!file) {
    err(`Name a timeline file.\n\nUsage:\n${CUT_USAGE}`);
    return EXIT.badInput;
  }
  const timelineFile = path.resolve(file);
  const loaded: LoadResult = await loadTimelineFile(timelineFile);
  if (!loaded.ok) {
    for (const p of loaded.problems) err(`${file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
    err(`${loaded.problems.length} problem(s) in ${file}: fix them and run again.`);
    return EXIT.badInput;
  }
  for (const w of loaded.warnings) err(`${file}:${w.line}:${w.column}: warning: ${w.message}`);
  const outputRoot = outputRootOf(timelineFile, loaded.timeline, o.output);
  const ffmpeg = ffmpegFinder(deps.repoRoot, io.env);
  const { positionals } = args;
  const c: CutContext = { command, file, timelineFile, loaded, o, positionals, outputRoot, ffmpeg, io, deps, err, out };
  try {
    const handler = CUT_HANDLERS.get(command);
    if (handler) return await handler(c);
    err(`Unknown command "${command}".\n\nUsage:\n${CUT_USAGE}`);
    return EXIT.badInput;
  } catch (e) {
    const se = toStvError(e);
    err(`[${se.code}] ${se.message}${se.hint ? `\nhint: ${se.hint}` : ''}`);
    if (se.code === 'CANCELLED') return EXIT.cancelled;
    return se instanceof StvError &&
      ['SCENE_NOT_FOUND', 'TAKE_MISSING', 'TIMELINE_INVALID', 'OUTPUT_EXISTS', 'INVALID_REQUEST'].includes(se.code)
      ? EXIT.badInput
      : EXIT.failed;
  }
}

async function takesCommand({ loaded, timelineFile, outputRoot, o, out }: CutContext): Promise<number> {
  let clips = await timelineTakes(loaded.timeline, timelineFile, { outputRoot });
  if (o.shot) clips = [findClip(clips, o.shot)];
  if (o.json) {
    out(
      JSON.stringify(
        clips.map((c) => ({
          key: c.clip.key ?? c.clip.id,
          chosen: c.chosen?.rel ?? null,
          chosenExplicitly: c.chosenExplicitly,
          missing: c.missing ?? null,
          outOfDate: c.outOfDate ?? null,
          takes: c.takes.map((t) => ({
            path: t.rel,
            seed: t.artifact?.seed,
            model: t.artifact?.model,
            provider: t.artifact?.providerId,
            createdAt: t.artifact?.createdAt,
          })),
        })),
      ),
    );
    return EXIT.ok;
  }
  for (const c of clips) {
    const how = c.missing
      ? `chosen take ${c.missing} is missing`
      : c.chosenExplicitly
        ? 'chosen'
        : c.chosen
          ? 'newest (no choice yet)'
          : 'no takes yet';
    out(
      `${c.clip.key ?? c.clip.id}: ${c.takes.length} take(s), ${how}${c.outOfDate ? `; out of date: ${c.outOfDate}` : ''}`,
    );
    c.takes.forEach((_, i) => out(describeTake(c, i)));
  }
  return EXIT.ok;
}

async function chooseCommand(ctx: CutContext): Promise<number> {
  const { positionals, o, file, timelineFile, outputRoot, ffmpeg, out, err } = ctx;
  const which = positionals[1];
  if (!o.shot || !which) {
    err(`choose needs --shot ID and a take (its number in "scene-to-video takes ${file}", or its file name).`);
    return EXIT.badInput;
  }
  const r = await chooseTake(timelineFile, o.shot, which, { outputRoot, ffmpeg });
  out(`${o.shot}: chose ${r.chosen}`);
  for (const l of r.linked)
    out(`${l.key}: start keyframe ${l.keyframe} (the last frame of ${l.from}); re-render ${l.key} to use it`);
  for (const u of r.unlinked) err(`${u.key}: not linked: ${u.why}`);
  return EXIT.ok;
}

async function linkCommand({ timelineFile, outputRoot, ffmpeg, out, err }: CutContext): Promise<number> {
  const r = await linkContinuity(timelineFile, { outputRoot, ffmpeg });
  for (const l of r.linked)
    out(`${l.key}: start keyframe ${l.keyframe} (the last frame of ${l.from}); re-render ${l.key} to use it`);
  for (const u of r.unlinked) err(`${u.key}: not linked: ${u.why}`);
  if (r.linked.length === 0 && r.unlinked.length === 0) out('Every continuity keyframe is up to date.');
  return r.unlinked.length ? EXIT.failed : EXIT.ok;
}

/** assemble and export share the plan: every clip's take, rendering missing ones first for --render-missing. */
async function assembleOrExport(ctx: CutContext): Promise<number> {
  const { command, o, io, loaded, timelineFile, outputRoot, ffmpeg, err, out } = ctx;
  const json = o.json || !io.stdout.isTTY;
  const log = (message: string) => out(json ? JSON.stringify({ type: 'log', message }) : message);
  let clips = await timelineTakes(loaded.timeline, timelineFile, { outputRoot });
  const missing = missingTakes(clips);
  if (missing.length && command === 'assemble' && o['render-missing']) {
    const rendered = await renderMissing(ctx, missing, log);
    if (typeof rendered === 'number') return rendered;
    clips = rendered;
  }
  if (missingTakes(clips).length) throw missingTakesError(missingTakes(clips));
  for (const c of clips) if (c.outOfDate) err(`warning: ${c.clip.key ?? c.clip.id} is out of date: ${c.outOfDate}.`);
  const plan = await planCut(loaded.timeline, timelineFile, clips, await ffmpeg());
  if (command === 'export') return exportPlan(ctx, plan);
  return assemblePlan(ctx, plan, json);
}

/**
 * --render-missing: renders the clips without a take, then returns every clip's takes again
 * (or render's exit code).
 */
async function renderMissing(
  { o, file, timelineFile, outputRoot, ffmpeg, deps }: CutContext,
  missing: ClipTakes[],
  log: (message: string) => void,
): Promise<ClipTakes[] | number> {
  log(`Rendering ${missing.map((c) => c.clip.key ?? c.clip.id).join(', ')} first (no take yet).`);
  const passOn = (['provider', 'endpoint', 'backend'] as const).flatMap((k) => (o[k] ? [`--${k}`, o[k]] : []));
  const scenes = missing.flatMap((c) => ['--scene', c.clip.key ?? c.clip.id]);
  const code = await deps.run([
    'render',
    file,
    ...scenes,
    ...(o.output ? ['--output', o.output] : []),
    ...passOn,
    ...(o.json ? ['--json'] : []),
  ]);
  if (code !== 0) return code;
  // A chosen take that was gone is replaced by the new render, so the timeline names a real file again.
  for (const c of missing.filter((m) => m.missing)) {
    const r = await chooseTake(timelineFile, c.clip.key ?? c.clip.id, '1', { outputRoot, ffmpeg });
    log(`${c.clip.key ?? c.clip.id}: chose the new take ${r.chosen} (${c.missing} was gone)`);
  }
  const reloaded = await loadTimelineFile(timelineFile);
  if (!reloaded.ok)
    throw new StvError(
      'TIMELINE_INVALID',
      `${file} no longer loads after rendering.`,
      `Run "scene-to-video validate ${file}".`,
    );
  return timelineTakes(reloaded.timeline, timelineFile, { outputRoot });
}

async function exportPlan({ o, err, out }: CutContext, plan: CutPlan): Promise<number> {
  const format = (o.format ?? 'otio') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    err(`Unknown format "${o.format}": use ${EXPORT_FORMATS.join(', ')}.`);
    return EXIT.badInput;
  }
  const written = await exportCut(plan, format, o.out ? path.resolve(o.out) : undefined);
  out(`Wrote ${written} (${plan.clips.length} clip(s), ${(plan.frames / plan.fps).toFixed(2)} s).`);
  return EXIT.ok;
}

async function assemblePlan(ctx: CutContext, plan: CutPlan, json: boolean): Promise<number> {
  const { o, io, timelineFile, ffmpeg, out } = ctx;
  const ac = new AbortController();
  void io.interrupted.then(() => ac.abort());
  let last = -1;
  const r = await assemble(plan, await ffmpeg(), {
    out: o.out ? path.resolve(o.out) : defaultFilmPath(timelineFile),
    uniqueName: !o.out,
    signal: ac.signal,
    onProgress: (f) => {
      const pct = Math.floor(f * 100);
      if (pct === last) return;
      last = pct;
      if (json) out(JSON.stringify({ type: 'progress', fraction: f }));
      else io.stderr.write(`\rAssembling ${plan.clips.length} take(s): ${pct}%`);
    },
  });
  if (!json) io.stderr.write('\n');
  const summary = {
    type: 'summary',
    film: r.film,
    sidecar: r.sidecar,
    mode: r.mode,
    durationSeconds: r.durationSeconds,
    ffmpeg: (await ffmpeg()).source,
  };
  out(
    json
      ? JSON.stringify(summary)
      : `Assembled ${r.film} (${r.durationSeconds.toFixed(2)} s, ${r.mode === 'copy' ? 'streams copied' : 'encoded'}; ffmpeg from ${summary.ffmpeg}).`,
  );
  return EXIT.ok;
}
