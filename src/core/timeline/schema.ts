/**
 * Timeline format, version 1 (`*.timeline.json`). The zod schema is the single source of truth:
 * the loader validates with it and media/timeline.schema.json is generated from it
 * (scripts/generate-schema.mjs), so editor completion and the loader cannot disagree.
 */
import { z } from 'zod';
import { PROVIDER_IDS } from '../providers/types';
import { MAX_FPS, MAX_FRAMES, MAX_SIDE, MIN_FPS, MIN_FRAMES, MIN_SIDE, SIZE_MULTIPLE } from './validSizes';

/** A scene id becomes a folder name: keep it a safe path segment on every OS. */
export const SCENE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Names Windows reserves for devices, with or without an extension ("con", "NUL.txt"). */
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Why `id` is not a safe folder name on Windows, macOS and Linux, or undefined when it is. */
export function unsafeSceneIdReason(id: string): string | undefined {
  if (!SCENE_ID_PATTERN.test(id)) return 'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 64)';
  if (id.includes('..')) return 'must not contain ".."';
  if (id.endsWith('.')) return 'must not end with "." (Windows drops it, so "a." and "a" would share a folder)';
  if (WINDOWS_DEVICE_NAME.test(id)) return 'is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9) and cannot be a folder there';
  return undefined;
}
export const MAX_SEED = 4_294_967_295;

const side = (what: string) =>
  z.int().min(MIN_SIDE).max(MAX_SIDE).multipleOf(SIZE_MULTIPLE).describe(`${what} in pixels, a multiple of ${SIZE_MULTIPLE}.`);
const frames = () => z.int().min(MIN_FRAMES).max(MAX_FRAMES).describe('Frame count, 4k+1 (e.g. 33, 81, 121).');
const fps = () => z.int().min(MIN_FPS).max(MAX_FPS).describe('Frames per second.');
const steps = () => z.int().min(1).max(100).describe("Denoising steps; the model's default when absent (FastWan: 3, Wan 2.2 base: 50).");
const seed = () => z.int().min(0).max(MAX_SEED);
const provider = () => z.enum(PROVIDER_IDS).describe('Which provider renders: comfyui-local or fastvideo-local.');

export const SceneOverridesSchema = z
  .strictObject({
    width: side('Width').optional(),
    height: side('Height').optional(),
    fps: fps().optional(),
    numFrames: frames().optional(),
    steps: steps().optional(),
    provider: provider().optional(),
    model: z.string().min(1).max(200).optional().describe('Provider-specific model id (e.g. a FastVideo model).'),
  })
  .describe("Per-scene values that replace the timeline's defaults.");

export const SceneSchema = z
  .strictObject({
    id: z
      .string()
      .regex(SCENE_ID_PATTERN, 'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 64)')
      .refine((s) => !s.includes('..'), 'must not contain ".."')
      .refine((s) => !s.endsWith('.') && !WINDOWS_DEVICE_NAME.test(s), { error: (issue) => unsafeSceneIdReason(String(issue.input)) ?? 'is not a safe folder name' })
      .describe('Stable id; also the name of the folder its renders go to.'),
    title: z.string().min(1).max(200),
    prompt: z.string().min(1).max(4000).describe('What the clip shows.'),
    negativePrompt: z.string().max(4000).optional().describe("What to avoid; replaces the timeline's default negative prompt."),
    keyframe: z.string().min(1).max(1024).optional().describe('Keyframe image, relative to this timeline file (PNG, JPEG or WebP).'),
    frames: frames().optional().describe('Length in frames (4k+1). Give frames or seconds, not both.'),
    seconds: z.number().positive().max(60).optional().describe('Length in seconds; converted to the nearest 4k+1 frame count.'),
    seed: seed().optional().describe("Fixed seed for this scene; overrides the timeline's seed policy."),
    overrides: SceneOverridesSchema.optional(),
  })
  .describe('One scene: one clip.');

export const SEED_POLICIES = ['fixed', 'increment', 'random'] as const;

/**
 * Size, fps, length and seed left out here fall back to the provider's settings (fastVideo.*),
 * then to the model's native values (1280x704, 24 fps, 121 frames).
 */
export const TimelineDefaultsSchema = z.strictObject({
  width: side('Width').optional(),
  height: side('Height').optional(),
  fps: fps().optional(),
  numFrames: frames().optional(),
  seedPolicy: z
    .enum(SEED_POLICIES)
    .default('fixed')
    .describe('fixed: every scene uses `seed`; increment: scene i uses seed+i; random: a new seed per render, recorded in its sidecar.'),
  seed: seed().optional(),
  negativePrompt: z.string().max(4000).optional(),
  provider: provider().optional(),
  steps: steps().optional(),
  model: z.string().min(1).max(200).optional(),
});

export const TimelineSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1).describe('Timeline format version.'),
    title: z.string().min(1).max(200),
    defaults: TimelineDefaultsSchema.prefault({}),
    scenes: z.array(SceneSchema).max(10_000),
  })
  .describe('A Scene to Video timeline: scenes rendered to MP4 clips.');

export type Timeline = z.infer<typeof TimelineSchema>;
export type Scene = z.infer<typeof SceneSchema>;
export type TimelineDefaults = z.infer<typeof TimelineDefaultsSchema>;
