/** Turns a validated timeline into concrete per-scene render parameters. */
import type { ProviderId } from '../providers/types';
import { resolveKeyframePath } from './keyframePath';
import type { Timeline } from './schema';
import { NATIVE, framesForSeconds } from './validSizes';

export interface ResolvedScene {
  id: string;
  index: number;
  title: string;
  prompt: string;
  negativePrompt?: string;
  keyframePath?: string;
  width: number;
  height: number;
  fps: number;
  numFrames: number;
  /** 'random' means the render queue picks one at render time and records it. */
  seed: number | 'random';
  steps?: number;
  provider?: ProviderId;
  model?: string;
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

export function resolveScenes(timeline: Timeline, timelineFile: string, fallbacks: SceneFallbacks = {}): ResolvedScene[] {
  const d = timeline.defaults;
  const baseSeed = d.seed ?? (fallbacks.seed !== undefined && fallbacks.seed >= 0 ? fallbacks.seed : DEFAULT_SEED);
  return timeline.scenes.map((s, index) => {
    const o = s.overrides ?? {};
    const fps = o.fps ?? d.fps ?? fallbacks.fps ?? NATIVE.fps;
    const numFrames = o.numFrames ?? s.frames ?? (s.seconds !== undefined ? framesForSeconds(s.seconds, fps) : (d.numFrames ?? fallbacks.numFrames ?? NATIVE.numFrames));
    const seed = s.seed ?? (d.seedPolicy === 'fixed' ? baseSeed : d.seedPolicy === 'increment' ? (baseSeed + index) % 4_294_967_296 : 'random');
    const negativePrompt = s.negativePrompt ?? d.negativePrompt;
    const steps = o.steps ?? d.steps;
    const provider = o.provider ?? d.provider;
    const model = o.model ?? d.model;
    return {
      id: s.id,
      index,
      title: s.title,
      prompt: s.prompt,
      ...(negativePrompt ? { negativePrompt } : {}),
      ...(s.keyframe ? { keyframePath: resolveKeyframePath(timelineFile, s.keyframe) } : {}),
      width: o.width ?? d.width ?? fallbacks.width ?? NATIVE.width,
      height: o.height ?? d.height ?? fallbacks.height ?? NATIVE.height,
      fps,
      numFrames,
      seed,
      ...(steps !== undefined ? { steps } : {}),
      ...(provider ? { provider } : {}),
      ...(model ? { model } : {}),
    };
  });
}
