/**
 * The cut as data: the chosen take of every clip in timeline order, how each follows the previous
 * one, the soundtrack, and where each take sits in the film. Assembly (assemble.ts) and the editor
 * exports (core/export/) both read this one plan, so the film and the exported timelines agree.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { StvError } from '../errors';
import type { Ffmpeg, MediaInfo } from '../ffmpeg/ffmpeg';
import { resolveTransition, type ResolvedTransition } from '../timeline/cut';
import type { Timeline } from '../timeline/schema';
import { absFromTimeline, relToTimeline, type ClipTakes } from '../takes/takes';
import { describeTakes } from './takeFacts';

export interface PlannedClip {
  key: string;
  sceneId: string;
  shotId?: string;
  title: string;
  /** Absolute path of the take, and as the timeline records it. */
  take: string;
  rel: string;
  /** The take's SHA-256, computed while ffmpeg works (only the sidecar and the exports wait for it). */
  sha256: Promise<string>;
  info: MediaInfo;
  /** The take's length in film frames (at the film's fps). */
  frames: number;
  /** How this clip follows the previous one (the first clip's is always a cut). */
  transition: ResolvedTransition;
  /** Where the take starts and ends in the film, in film frames (crossfades overlap). */
  recordIn: number;
  recordOut: number;
}

export interface CutPlan {
  title: string;
  timelineFile: string;
  width: number;
  height: number;
  fps: number;
  clips: PlannedClip[];
  soundtrack?: { file: string; rel: string; fadeInSeconds: number; fadeOutSeconds: number };
  /** The film's length in frames: the takes' sum minus the crossfades' overlaps. */
  frames: number;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Clips that have no usable take: the assembly's error names them (or --render-missing renders them). */
export function missingTakes(clips: ClipTakes[]): ClipTakes[] {
  return clips.filter((c) => !c.chosen);
}

export function missingTakesError(missing: ClipTakes[]): StvError {
  const names = missing.map((c) =>
    c.missing
      ? `"${c.clip.key ?? c.clip.id}" (its chosen take ${c.missing} is gone)`
      : `"${c.clip.key ?? c.clip.id}" (never rendered)`,
  );
  return new StvError(
    'TAKE_MISSING',
    `No take to assemble for ${names.join(', ')}.`,
    'Render them first (scene-to-video assemble --render-missing does it), or choose another take with "scene-to-video choose".',
  );
}

/** One clip of the plan: its length in film frames, its transition, and where it sits after `prev`. */
function planClip(
  c: ClipTakes,
  i: number,
  prev: PlannedClip | undefined,
  cursor: number,
  t: { take: string; info: MediaInfo; sha256: Promise<string>; fps: number; timelineFile: string },
): PlannedClip {
  const { take, info, fps, timelineFile } = t;
  const key = c.clip.key ?? c.clip.id;
  if (!info.video)
    throw new StvError(
      'ASSEMBLY_FAILED',
      `The take ${c.chosen?.rel} of "${key}" has no video stream.`,
      `Choose another take: scene-to-video takes ${path.basename(timelineFile)} --shot ${key}.`,
    );
  const frames = Math.max(1, Math.round(info.durationSeconds * fps));
  const transition =
    i === 0
      ? { type: 'cut' as const, seconds: 0 }
      : (resolveTransition(c.clip.transition) ?? { type: 'cut' as const, seconds: 0 });
  let overlap = transition.type === 'crossfade' ? Math.round(transition.seconds * fps) : 0;
  if (transition.type === 'crossfade' && overlap < 1) overlap = 1;
  if (prev && overlap >= Math.min(prev.frames, frames))
    throw new StvError(
      'INVALID_REQUEST',
      `The crossfade into "${key}" lasts ${transition.seconds} s, as long as or longer than "${prev.key}" or "${key}" (${(Math.min(prev.frames, frames) / fps).toFixed(2)} s).`,
      'Shorten the crossfade ("seconds") in the timeline.',
    );
  const recordIn = prev ? cursor - overlap : 0;
  return {
    key,
    sceneId: c.clip.id,
    ...(c.clip.shotId ? { shotId: c.clip.shotId } : {}),
    title: c.clip.title,
    take,
    rel: c.chosen?.rel ?? relToTimeline(timelineFile, take),
    sha256: t.sha256,
    info,
    frames,
    transition: transition.type === 'crossfade' ? { type: 'crossfade', seconds: overlap / fps } : transition,
    recordIn,
    recordOut: recordIn + frames,
  };
}

/** The plan's soundtrack field, present only when the timeline has one. */
function plannedSoundtrack(timeline: Timeline, timelineFile: string): Pick<CutPlan, 'soundtrack'> {
  const st = timeline.soundtrack;
  if (!st) return {};
  return {
    soundtrack: {
      file: absFromTimeline(timelineFile, st.file),
      rel: st.file,
      fadeInSeconds: st.fadeInSeconds ?? 0,
      fadeOutSeconds: st.fadeOutSeconds ?? 1,
    },
  };
}

export async function planCut(
  timeline: Timeline,
  timelineFile: string,
  clips: ClipTakes[],
  ff: Ffmpeg,
): Promise<CutPlan> {
  const missing = missingTakes(clips);
  if (clips.length === 0)
    throw new StvError(
      'INVALID_REQUEST',
      'The timeline has no clips to assemble.',
      'Add scenes to it, render them, then assemble.',
    );
  if (missing.length) throw missingTakesError(missing);
  const first = clips[0]?.clip;
  // The film's size and rate: the timeline's defaults, else those of its first clip.
  const width = timeline.defaults.width ?? first?.width ?? 1280;
  const height = timeline.defaults.height ?? first?.height ?? 704;
  const fps = timeline.defaults.fps ?? first?.fps ?? 24;
  const planned: PlannedClip[] = [];
  let cursor = 0;
  const takes = clips.map((c) => c.chosen?.path as string);
  // Remembered from an earlier assembly, else one ffmpeg describes the takes while they are hashed.
  const { infos, hashes } = await describeTakes(ff, takes, sha256File);
  for (const [i, c] of clips.entries()) {
    const clip = planClip(c, i, planned[i - 1], cursor, {
      take: takes[i] as string,
      info: infos[i] as MediaInfo,
      sha256: hashes[i] as Promise<string>,
      fps,
      timelineFile,
    });
    planned.push(clip);
    cursor = clip.recordOut;
  }
  return {
    title: timeline.title,
    timelineFile,
    width,
    height,
    fps,
    clips: planned,
    ...plannedSoundtrack(timeline, timelineFile),
    frames: cursor,
  };
}

/**
 * True when the takes can be joined without re-encoding: same codec, size, rate and pixels; cuts
 * only; and no take's own sound to keep (the encode path makes each take's audio exactly as long as
 * its video and fills takes without sound with silence, which concat -c copy cannot).
 */
export function canStreamCopy(plan: CutPlan): boolean {
  if (!plan.soundtrack && plan.clips.some((c) => c.info.audio)) return false;
  return plan.clips.every(
    (c) =>
      c.transition.type === 'cut' &&
      c.info.video?.codec === 'h264' &&
      c.info.video.pixFmt === 'yuv420p' &&
      c.info.video.width === plan.width &&
      c.info.video.height === plan.height &&
      Math.abs(c.info.video.fps - plan.fps) < 0.01 &&
      c.info.video.profile === plan.clips[0]?.info.video?.profile,
  );
}
