/**
 * Keyframes from prompts (issue 21): N variants of a clip's start or end keyframe, each drawn by the
 * provider from the clip's prompt with its own seed at the clip's render size (so nothing is cropped
 * later), and each kept like a take: a PNG and a sidecar JSON under
 * `<timeline folder>/keyframes/variants/<sceneId>[/<shotId>]/`, written atomically, never replacing
 * an earlier variant. Picking one is pick.ts.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { StvError } from '../errors';
import { imageFormatOf } from '../keyframeImage';
import {
  KEYFRAMES_ELSEWHERE,
  type ImageRequest,
  type ImageResult,
  type RenderOptions,
  type RenderProgress,
  type VideoProvider,
} from '../providers/types';
import { fsError, fsyncDir, fsyncFile, publishUnique, stamp, writeJsonAtomic } from '../render/artifacts';
import { findClip } from '../takes/edit';
import { resolveScenes, type ResolvedScene, type SceneFallbacks } from '../timeline/resolve';
import type { Timeline } from '../timeline/schema';

export const KEYFRAME_SIDECAR_KIND = 'scene-to-video-keyframe';
export const KEYFRAME_SIDECAR_VERSION = 1;
export const KEYFRAME_ENDS = ['start', 'end'] as const;
export type KeyframeEnd = (typeof KEYFRAME_ENDS)[number];
/** At most this many variants in one go: each is a whole image generation on the provider. */
export const MAX_VARIANTS = 8;

/** One generated variant: its PNG and what made it (the sidecar's content). */
export interface KeyframeVariant {
  imagePath: string;
  sidecarPath: string;
  /** "scene" or "scene/shot". */
  clip: string;
  sceneId: string;
  shotId?: string;
  which: KeyframeEnd;
  prompt: string;
  negativePrompt?: string;
  seed: number;
  width: number;
  height: number;
  provider: string;
  model?: string;
  backend?: string;
  workflow?: string;
  createdAt: string;
  warnings: ImageResult['warnings'];
}

interface KeyframeSidecar extends KeyframeVariant {
  kind: typeof KEYFRAME_SIDECAR_KIND;
  version: typeof KEYFRAME_SIDECAR_VERSION;
  timelineFile: string;
  timings: ImageResult['timings'];
  server: Record<string, unknown>;
}

/** Where a clip's variants are kept: beside the timeline, one folder per scene (and shot). */
export function variantsDir(timelineFile: string, clip: Pick<ResolvedScene, 'id' | 'shotId'>): string {
  const base = path.join(path.dirname(timelineFile), 'keyframes', 'variants', clip.id);
  return clip.shotId ? path.join(base, clip.shotId) : base;
}

export interface GenerateKeyframesOptions {
  timeline: Timeline;
  timelineFile: string;
  /** "scene" or "scene/shot". */
  clipKey: string;
  which: KeyframeEnd;
  variants: number;
  /** The first variant's seed (the others count up from it); random seeds without it. */
  seed?: number;
  provider: VideoProvider;
  signal: AbortSignal;
  fallbacks?: SceneFallbacks;
  /** Progress of variant `index` (0-based) of `count`. */
  onProgress?(index: number, count: number, p: RenderProgress): void;
  /** Called as each variant is saved, so a view can show it before the others finish. */
  onVariant?(v: KeyframeVariant): void;
}

/** The clip a key names, resolved (prompt, size) as a render of it would be. */
export function resolveClip(
  timeline: Timeline,
  timelineFile: string,
  clipKey: string,
  fallbacks: SceneFallbacks = {},
): ResolvedScene {
  const clips = resolveScenes(timeline, timelineFile, fallbacks).map((clip) => ({ clip }));
  return findClip(clips, clipKey).clip;
}

/** Generates the variants one after another (one GPU), saving each as it comes. */
export async function generateKeyframes(o: GenerateKeyframesOptions): Promise<KeyframeVariant[]> {
  if (!Number.isInteger(o.variants) || o.variants < 1 || o.variants > MAX_VARIANTS)
    throw new StvError(
      'INVALID_REQUEST',
      `--variants ${o.variants} is not a count from 1 to ${MAX_VARIANTS}.`,
      `Ask for 1 to ${MAX_VARIANTS} variants.`,
    );
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed + o.variants - 1 > 2 ** 32 - 1))
    throw new StvError('INVALID_REQUEST', `--seed ${o.seed} is not a whole number from 0 to 4294967295.`);
  const clip = resolveClip(o.timeline, o.timelineFile, o.clipKey, o.fallbacks);
  const provider = o.provider;
  if (!provider.renderImage)
    throw new StvError('KEYFRAMES_UNSUPPORTED', `${provider.id} cannot make keyframes.`, KEYFRAMES_ELSEWHERE);
  const dir = variantsDir(o.timelineFile, clip);
  await fsp.mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw fsError(e, `the keyframe folder ${dir}`);
  });
  const out: KeyframeVariant[] = [];
  for (let i = 0; i < o.variants; i++) {
    const seed = o.seed !== undefined ? o.seed + i : randomInt(0, 2 ** 32 - 1);
    const req: ImageRequest = {
      sceneId: clip.id,
      ...(clip.shotId ? { shotId: clip.shotId } : {}),
      prompt: clip.prompt,
      ...(clip.negativePrompt ? { negativePrompt: clip.negativePrompt } : {}),
      width: clip.width,
      height: clip.height,
      seed,
      ...(clip.steps !== undefined ? { steps: clip.steps } : {}),
      ...(clip.model ? { model: clip.model } : {}),
    };
    const scratchDir = path.join(dir, `.stv-tmp-${randomUUID()}`);
    await fsp.mkdir(scratchDir, { recursive: true });
    try {
      const opts: RenderOptions = {
        signal: o.signal,
        scratchDir,
        onProgress: (p) => o.onProgress?.(i, o.variants, p),
      };
      const result = await provider.renderImage(req, opts);
      const v = await saveVariant(o, clip, provider.id, req, result);
      out.push(v);
      o.onVariant?.(v);
    } finally {
      await fsp.rm(scratchDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return out;
}

/** Copies the provider's PNG beside the timeline under a name no earlier variant has, then its sidecar. */
async function saveVariant(
  o: GenerateKeyframesOptions,
  clip: ResolvedScene,
  providerId: string,
  req: ImageRequest,
  result: ImageResult,
): Promise<KeyframeVariant> {
  const dir = variantsDir(o.timelineFile, clip);
  const created = new Date();
  const base = `${clip.id}${clip.shotId ? `_${clip.shotId}` : ''}_${o.which}_${stamp(created)}_s${result.seed}`;
  const tmp = path.join(dir, `.stv-${randomUUID()}.png.part`);
  let final: string | undefined;
  try {
    const head = Buffer.alloc(12);
    const fh = await fsp.open(result.imagePath, 'r');
    await fh.read(head, 0, 12, 0).finally(() => fh.close());
    if (imageFormatOf(head) !== 'png')
      throw new StvError(
        'BAD_RESPONSE',
        `The provider's keyframe ${result.imagePath} is not a PNG.`,
        'Check the workflow: it must end in SaveImage (PNG).',
      );
    await fsp.copyFile(result.imagePath, tmp, constants.COPYFILE_EXCL);
    await fsyncFile(tmp, fsp);
    final = await publishUnique(tmp, dir, base, '.png', fsp);
    const variant: KeyframeVariant = {
      imagePath: final,
      sidecarPath: final.replace(/\.png$/, '.json'),
      clip: clip.key ?? clip.id,
      sceneId: clip.id,
      ...(clip.shotId ? { shotId: clip.shotId } : {}),
      which: o.which,
      prompt: req.prompt,
      ...(req.negativePrompt ? { negativePrompt: req.negativePrompt } : {}),
      seed: result.seed,
      width: result.width,
      height: result.height,
      provider: providerId,
      ...(result.model ? { model: result.model } : {}),
      ...(result.backend ? { backend: result.backend } : {}),
      ...(result.workflow ? { workflow: result.workflow } : {}),
      createdAt: created.toISOString(),
      warnings: result.warnings,
    };
    const sidecar: KeyframeSidecar = {
      kind: KEYFRAME_SIDECAR_KIND,
      version: KEYFRAME_SIDECAR_VERSION,
      ...variant,
      timelineFile: o.timelineFile,
      timings: result.timings,
      server: result.server,
    };
    await writeJsonAtomic(variant.sidecarPath, sidecar, fsp);
    await fsyncDir(dir, fsp);
    return variant;
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    if (final) await fsp.rm(final, { force: true }); // a variant without its sidecar would be unlisted
    throw fsError(e, `the keyframe variant of ${clip.key ?? clip.id}`);
  } finally {
    if (result.imageIsTemporary) await fsp.rm(result.imagePath, { force: true });
  }
}

/** The variants of a clip's start or end keyframe kept so far, newest first (unreadable sidecars skipped). */
export async function listKeyframeVariants(
  timelineFile: string,
  clip: Pick<ResolvedScene, 'id' | 'shotId'>,
  which?: KeyframeEnd,
): Promise<KeyframeVariant[]> {
  const dir = variantsDir(timelineFile, clip);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const out: KeyframeVariant[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.stv-'))) {
    try {
      const s = JSON.parse(await fsp.readFile(path.join(dir, name), 'utf8')) as Partial<KeyframeSidecar>;
      if (s.kind !== KEYFRAME_SIDECAR_KIND || (which && s.which !== which)) continue;
      const imagePath = path.join(dir, name.replace(/\.json$/, '.png'));
      await fsp.access(imagePath);
      out.push({ ...(s as KeyframeVariant), imagePath, sidecarPath: path.join(dir, name) });
    } catch {
      // A half-deleted or foreign file: not a variant.
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.imagePath.localeCompare(a.imagePath));
}
