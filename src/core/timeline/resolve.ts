/**
 * Turns a validated timeline into concrete render parameters: one clip per shot (a scene without
 * shots is one clip). A shot inherits what it leaves out from its scene, which inherits from the
 * timeline's defaults, then from the provider's settings, then from the model's native values.
 */
import * as path from 'node:path';
import type { ProviderId } from '../providers/types';
import { autoSizeCandidates, nearestSize, readImageSize, type ImageSize } from './imageSize';
import { resolveKeyframePath } from './keyframePath';
import { migrateToV2 } from './migrate';
import type { Transition } from './cut';
import type { NamedWorkflow, SceneOverrides, Timeline } from './schema';
import { NATIVE, framesForSeconds } from './validSizes';

export interface ResolvedWorkflow {
  name: string;
  /** Absolute path of the API-format workflow. */
  file: string;
  mapping: Record<string, string>;
  bookends: boolean;
}

export interface ResolvedScene {
  /** The scene's id (a folder name); all shots of a scene share it. */
  id: string;
  /** The shot's id, for scenes written with shots; undefined for a one-shot scene. */
  shotId?: string;
  /** `id` or `id/shotId`: unique within the timeline (resolveScenes always sets it; absent means `id`). */
  key?: string;
  /** Position of the clip in the timeline (scenes and shots in order). */
  index: number;
  title: string;
  prompt: string;
  negativePrompt?: string;
  keyframePath?: string;
  /** The end keyframe (version 2 bookends). */
  endKeyframePath?: string;
  width: number;
  height: number;
  /** True when the size came from `size: "auto"` and the start keyframe's aspect ratio. */
  autoSize?: boolean;
  fps: number;
  numFrames: number;
  /** 'random' means the render queue picks one at render time and records it. */
  seed: number | 'random';
  steps?: number;
  provider?: ProviderId;
  model?: string;
  workflow?: ResolvedWorkflow;
  /** How this clip follows the previous one, as written (core/timeline/cut.ts says what it means). */
  transition?: Transition;
}

/** Values for what a timeline leaves out: the provider's settings (seed < 0 means none). */
export interface SceneFallbacks {
  width?: number;
  height?: number;
  fps?: number;
  numFrames?: number;
  seed?: number;
}

export const DEFAULT_SEED = 42;

export interface ResolveOptions {
  /** Reads a keyframe's size for `size: "auto"`; the real file by default. */
  imageSize?: (absPath: string) => ImageSize | undefined;
}

/** `"auto"`, explicit width/height, or nothing, at the most specific level that says either. */
function sizeRule(levels: (SceneOverrides | undefined)[]): 'auto' | 'explicit' | undefined {
  for (const l of levels) {
    if (!l) continue;
    if (l.size === 'auto') return 'auto';
    if (l.width !== undefined || l.height !== undefined) return 'explicit';
  }
  return undefined;
}

export function resolveScenes(
  timeline: Timeline,
  timelineFile: string,
  fallbacks: SceneFallbacks = {},
  opts: ResolveOptions = {},
): ResolvedScene[] {
  const t = migrateToV2(timeline);
  const d = t.defaults;
  const baseSeed = d.seed ?? (fallbacks.seed !== undefined && fallbacks.seed >= 0 ? fallbacks.seed : DEFAULT_SEED);
  const imageSize = opts.imageSize ?? readImageSize;
  const workflows = t.workflows ?? {};
  const namedWorkflow = (name: string | undefined): ResolvedWorkflow | undefined => {
    const w: NamedWorkflow | undefined = name === undefined ? undefined : workflows[name];
    if (!w || name === undefined) return undefined;
    return {
      name,
      file: path.resolve(path.dirname(timelineFile), w.file.replace(/\\/g, '/')),
      mapping: w.mapping,
      bookends: w.bookends === true,
    };
  };
  const bookendWorkflow = Object.entries(workflows).find(([, w]) => w.bookends === true)?.[0];
  const out: ResolvedScene[] = [];
  for (const s of t.scenes) {
    for (const shot of s.shots ?? [undefined]) {
      const index = out.length;
      const so = shot?.overrides;
      const o = s.overrides;
      const levels = [so, o, d];
      const pick = <K extends keyof SceneOverrides>(k: K): SceneOverrides[K] =>
        so?.[k] ?? o?.[k] ?? (d[k as keyof typeof d] as SceneOverrides[K]);
      const fps = pick('fps') ?? fallbacks.fps ?? NATIVE.fps;
      const length = (x: { frames?: number | undefined; seconds?: number | undefined } | undefined) =>
        x?.frames ?? (x?.seconds !== undefined ? framesForSeconds(x.seconds, fps) : undefined);
      const numFrames =
        so?.numFrames ??
        length(shot) ??
        o?.numFrames ??
        length(s) ??
        d.numFrames ??
        fallbacks.numFrames ??
        NATIVE.numFrames;
      const seed =
        shot?.seed ??
        s.seed ??
        (d.seedPolicy === 'fixed'
          ? baseSeed
          : d.seedPolicy === 'increment'
            ? (baseSeed + index) % 4_294_967_296
            : 'random');
      const negativePrompt = shot?.negativePrompt ?? s.negativePrompt ?? d.negativePrompt;
      const keyframes = shot?.keyframes ?? s.keyframes;
      const keyframePath = keyframes ? resolveKeyframePath(timelineFile, keyframes.start) : undefined;
      const endKeyframePath = keyframes?.end ? resolveKeyframePath(timelineFile, keyframes.end) : undefined;
      let width = pick('width') ?? fallbacks.width ?? NATIVE.width;
      let height = pick('height') ?? fallbacks.height ?? NATIVE.height;
      let autoSize = false;
      if (sizeRule(levels) === 'auto' && keyframePath) {
        const k = imageSize(keyframePath);
        if (k) {
          ({ width, height } = nearestSize(k, autoSizeCandidates({ width, height })));
          autoSize = true;
        }
      }
      const steps = pick('steps');
      const provider = pick('provider');
      const model = pick('model');
      const transition = shot ? (shot.transition ?? (shot === s.shots?.[0] ? s.transition : undefined)) : s.transition;
      // A shot with an end keyframe and no workflow of its own (or its scene's) uses the timeline's
      // bookend workflow rather than the default one, which may take only a start image.
      const workflow = namedWorkflow(
        so?.workflow ?? o?.workflow ?? (endKeyframePath ? bookendWorkflow : undefined) ?? d.workflow,
      );
      out.push({
        id: s.id,
        ...(shot ? { shotId: shot.id } : {}),
        key: shot ? `${s.id}/${shot.id}` : s.id,
        index,
        title: shot?.title ? `${s.title} — ${shot.title}` : shot ? `${s.title} — ${shot.id}` : s.title,
        prompt: shot?.prompt ?? s.prompt ?? s.title,
        ...(negativePrompt ? { negativePrompt } : {}),
        ...(keyframePath ? { keyframePath } : {}),
        ...(endKeyframePath ? { endKeyframePath } : {}),
        width,
        height,
        ...(autoSize ? { autoSize } : {}),
        fps,
        numFrames,
        seed,
        ...(steps !== undefined ? { steps } : {}),
        ...(provider ? { provider } : {}),
        ...(model ? { model } : {}),
        ...(workflow ? { workflow } : {}),
        // A scene's transition is how its first clip follows the previous scene's last.
        ...(transition ? { transition } : {}),
      });
    }
  }
  return out;
}
