/**
 * Converts gemDirect1's two shapes into our timeline:
 *  - a project export (`ProjectSaveState`): scenes[] with timeline.shots[] (visualPrompt preferred
 *    over description), timeline.negativePrompt, base64 keyframeStart/keyframeEnd or
 *    generatedImages keyed by scene id;
 *  - flat per-scene files ({id,title,summary,prompt,keyframePath,expectedFrames,negativePrompt}),
 *    alone or wrapped in a story file's scenes[].
 * Keyframes are written as image files beside the new timeline; nothing existing is replaced.
 * gemDirect1 has no licence: this is written from its formats, not its code.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { StvError } from '../../errors';
import { unsafeSceneIdReason, type Scene, type Timeline } from '../schema';
import { framesForSeconds, nearestFrameCounts, isValidFrameCount, MAX_FRAMES, NATIVE } from '../validSizes';
import { decodeImage, writeNewFile } from './images';

const ShotSchema = z.object({ id: z.string().optional(), title: z.string().optional(), description: z.string().optional(), visualPrompt: z.string().optional() }).loose();
const ProjectSceneSchema = z
  .object({
    id: z.string(),
    title: z.string().optional(),
    summary: z.string().optional(),
    timeline: z.object({ shots: z.array(ShotSchema).default([]), negativePrompt: z.string().optional() }).loose().optional(),
    keyframeStart: z.string().optional(),
    keyframeEnd: z.string().optional(),
    temporalContext: z.object({ duration: z.number().positive().optional() }).loose().optional(),
  })
  .loose();
const ProjectSchema = z.object({ scenes: z.array(ProjectSceneSchema), generatedImages: z.record(z.string(), z.unknown()).optional(), storyBible: z.object({ title: z.string().optional(), logline: z.string().optional() }).loose().optional() }).loose();
const FlatSceneSchema = z
  .object({
    id: z.string(),
    title: z.string().optional(),
    summary: z.string().optional(),
    prompt: z.string().optional(),
    mood: z.string().optional(),
    keyframePath: z.string().optional(),
    expectedFrames: z.number().int().positive().optional(),
    negativePrompt: z.string().optional(),
    cameraMovement: z.string().optional(),
  })
  .loose();
const StorySchema = z.object({ title: z.string().optional(), logline: z.string().optional(), scenes: z.array(FlatSceneSchema) }).loose();

export interface ImportResult {
  timeline: Timeline;
  keyframesWritten: string[];
  warnings: string[];
}

export type GemDirectShape = 'project' | 'story' | 'scene';

export function detectShape(data: unknown): GemDirectShape | undefined {
  if (ProjectSchema.safeParse(data).success && (data as { scenes: unknown[] }).scenes.some((s) => s && typeof s === 'object' && 'timeline' in s)) return 'project';
  if (StorySchema.safeParse(data).success) return 'story';
  if (FlatSceneSchema.safeParse(data).success && typeof (data as { prompt?: unknown }).prompt === 'string') return 'scene';
  if (ProjectSchema.safeParse(data).success) return 'project';
  return undefined;
}

/**
 * A scene id that is a safe folder name, unique within `used` ignoring case: on Windows and macOS
 * "Night-1" and "night-1" would share a render folder.
 */
function safeId(raw: string, used: Set<string>): string {
  let id = raw.normalize('NFKD').replace(/\p{M}+/gu, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.\.+/g, '.').replace(/^[^A-Za-z0-9]+/, '').replace(/[-.]+$/, '').slice(0, 56) || 'scene';
  if (unsafeSceneIdReason(id)) id = `scene-${id}`.slice(0, 56);
  let candidate = id;
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${id}-${n}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

function joinPrompt(parts: (string | undefined)[]): string {
  return parts.map((p) => p?.trim()).filter((p): p is string => !!p).join('. ').replace(/\.\s*\./g, '.').slice(0, 4000);
}

export async function importGemDirect(data: unknown, opts: { sourceFile: string; targetTimelineFile: string }): Promise<ImportResult> {
  const shape = detectShape(data);
  if (!shape)
    throw new StvError('INVALID_REQUEST', `${path.basename(opts.sourceFile)} is not a gemDirect1 project export, story file or scene file.`, 'Export the project from gemDirect1 (Save project), or pick one of its scene JSON files.');
  const keyDir = path.join(path.dirname(opts.targetTimelineFile), 'keyframes');
  const written: string[] = [];
  const warnings: string[] = [];
  const used = new Set<string>();
  const relKey = (abs: string) => path.relative(path.dirname(opts.targetTimelineFile), abs).split(path.sep).join('/');

  const writeB64 = async (b64: unknown, id: string, what: string): Promise<string | undefined> => {
    if (typeof b64 !== 'string' || !b64) return undefined;
    const img = decodeImage(b64);
    if (!img) {
      warnings.push(`${what} of scene "${id}" is not a PNG, JPEG or WebP image; skipped.`);
      return undefined;
    }
    await mkdir(keyDir, { recursive: true });
    const file = await writeNewFile(keyDir, id, img.ext, img.bytes);
    written.push(file);
    return relKey(file);
  };

  const scenes: Scene[] = [];
  let title = 'Imported from gemDirect1';
  if (shape === 'project') {
    const p = ProjectSchema.parse(data);
    title = p.storyBible?.title || p.storyBible?.logline?.slice(0, 200) || title;
    for (const s of p.scenes) {
      const id = safeId(s.id, used);
      const shots = s.timeline?.shots ?? [];
      const prompt = joinPrompt(shots.length ? shots.map((sh) => sh.visualPrompt || sh.description) : [s.summary]) || s.title || id;
      const keyframe = (await writeB64(s.keyframeStart, id, 'keyframeStart')) ?? (await writeB64(p.generatedImages?.[s.id], id, 'generatedImages entry'));
      if (s.keyframeEnd) warnings.push(`Scene "${id}": keyframeEnd was not imported (Wan 2.2 TI2V conditions on the first frame only).`);
      const scene: Scene = { id, title: (s.title || id).slice(0, 200), prompt };
      if (s.timeline?.negativePrompt) scene.negativePrompt = s.timeline.negativePrompt.slice(0, 4000);
      if (keyframe) scene.keyframe = keyframe;
      const duration = s.temporalContext?.duration;
      if (duration) {
        // Longer than one clip can be: keep the longest the model renders rather than a timeline our loader refuses.
        const maxSeconds = Math.floor(((MAX_FRAMES - 1) / NATIVE.fps) * 100) / 100;
        scene.seconds = Math.min(maxSeconds, duration);
        if (duration > maxSeconds) warnings.push(`Scene "${id}": its ${duration} s became ${maxSeconds} s, the longest clip the model renders at ${NATIVE.fps} fps; split it to keep the rest.`);
      }
      scenes.push(scene);
    }
  } else {
    const story = shape === 'story' ? StorySchema.parse(data) : { title: undefined, logline: undefined, scenes: [FlatSceneSchema.parse(data)] };
    title = story.title || story.logline?.slice(0, 200) || title;
    for (const s of story.scenes) {
      const id = safeId(s.id, used);
      const prompt = joinPrompt([s.prompt || s.summary, s.cameraMovement ? `camera: ${s.cameraMovement}` : undefined, s.mood ? `mood: ${s.mood}` : undefined]) || s.title || id;
      const scene: Scene = { id, title: (s.title || id).slice(0, 200), prompt };
      if (s.negativePrompt) scene.negativePrompt = s.negativePrompt.slice(0, 4000);
      if (s.expectedFrames) {
        const frames = isValidFrameCount(s.expectedFrames) ? s.expectedFrames : nearestFrameCounts(s.expectedFrames).at(-1) ?? framesForSeconds(5, NATIVE.fps);
        if (frames !== s.expectedFrames) warnings.push(`Scene "${id}": expectedFrames ${s.expectedFrames} became ${frames} (the model takes 4k+1 frames).`);
        scene.frames = frames;
      }
      if (s.keyframePath) {
        const src = path.resolve(path.dirname(opts.sourceFile), s.keyframePath.replace(/\\/g, '/'));
        try {
          if (!(await stat(src)).isFile()) throw new Error('not a file');
          const bytes = await readFile(src);
          const img = decodeImage(bytes.toString('base64'));
          if (!img) throw new Error('not a PNG, JPEG or WebP image');
          const dest = await writeNewFile(keyDir, id, img.ext, bytes);
          written.push(dest);
          scene.keyframe = relKey(dest);
        } catch (e) {
          warnings.push(`Scene "${id}": keyframe ${s.keyframePath} could not be imported (${(e as Error).message}).`);
        }
      }
      scenes.push(scene);
    }
  }
  const timeline: Timeline = {
    version: 1,
    title: title.slice(0, 200),
    defaults: { width: NATIVE.width, height: NATIVE.height, fps: NATIVE.fps, numFrames: NATIVE.numFrames, seedPolicy: 'fixed', seed: 42 },
    scenes,
  };
  return { timeline, keyframesWritten: written, warnings };
}
