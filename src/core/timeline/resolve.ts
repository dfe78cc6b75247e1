/** Turns a validated timeline into concrete per-scene render parameters. */
import type { ProviderId } from '../providers/types';
import { resolveKeyframePath } from './keyframePath';
import type { Timeline } from './schema';
import { framesForSeconds } from './validSizes';

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

export function resolveScenes(timeline: Timeline, timelineFile: string): ResolvedScene[] {
  const d = timeline.defaults;
  return timeline.scenes.map((s, index) => {
    const o = s.overrides ?? {};
    const fps = o.fps ?? d.fps;
    const numFrames = o.numFrames ?? s.frames ?? (s.seconds !== undefined ? framesForSeconds(s.seconds, fps) : d.numFrames);
    const seed = s.seed ?? (d.seedPolicy === 'fixed' ? d.seed : d.seedPolicy === 'increment' ? (d.seed + index) % 4_294_967_296 : 'random');
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
      width: o.width ?? d.width,
      height: o.height ?? d.height,
      fps,
      numFrames,
      seed,
      ...(steps !== undefined ? { steps } : {}),
      ...(provider ? { provider } : {}),
      ...(model ? { model } : {}),
    };
  });
}
