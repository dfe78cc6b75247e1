/**
 * Timeline format, versions 1 and 2 (`*.timeline.json`). The zod schema is the single source of
 * truth: the loader validates with it and media/timeline.schema.json is generated from it
 * (scripts/generate-schema.mjs), so editor completion and the loader cannot disagree.
 *
 * One schema describes both versions: version 2 only adds fields (shots, start/end keyframes,
 * `size: "auto"`, named workflows, transitions), so a version 1 file is a valid version 2 file
 * except for its `keyframe` field. Which fields each version may use is checked in v2.ts, with a
 * message that says how to upgrade; migrate.ts turns a version 1 timeline into version 2 in memory.
 */
import { z } from 'zod';
import { PROVIDER_IDS } from '../providers/types';
import { ContinuitySchema, SoundtrackSchema, TakeSchema, TransitionSchema } from './cut';
import { MAX_FPS, MAX_FRAMES, MAX_SIDE, MIN_FPS, MIN_FRAMES, MIN_SIDE, SIZE_MULTIPLE } from './validSizes';

/** A scene id becomes a folder name: keep it a safe path segment on every OS. */
export const SCENE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Names Windows reserves for devices, with or without an extension ("con", "NUL.txt"). */
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Why `id` is not a safe folder name on Windows, macOS and Linux, or undefined when it is. */
export function unsafeSceneIdReason(id: string): string | undefined {
  if (!SCENE_ID_PATTERN.test(id))
    return 'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 64)';
  if (id.includes('..')) return 'must not contain ".."';
  if (id.endsWith('.')) return 'must not end with "." (Windows drops it, so "a." and "a" would share a folder)';
  if (WINDOWS_DEVICE_NAME.test(id))
    return 'is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9) and cannot be a folder there';
  return undefined;
}
export const MAX_SEED = 4_294_967_295;

const side = (what: string) =>
  z
    .int()
    .min(MIN_SIDE)
    .max(MAX_SIDE)
    .multipleOf(SIZE_MULTIPLE)
    .describe(`${what} in pixels, a multiple of ${SIZE_MULTIPLE}.`);
const frames = () => z.int().min(MIN_FRAMES).max(MAX_FRAMES).describe('Frame count, 4k+1 (e.g. 33, 81, 121).');
const fps = () => z.int().min(MIN_FPS).max(MAX_FPS).describe('Frames per second.');
const steps = () =>
  z.int().min(1).max(100).describe("Denoising steps; the model's default when absent (FastWan: 3, Wan 2.2 base: 50).");
const seed = () => z.int().min(0).max(MAX_SEED);
const provider = () => z.enum(PROVIDER_IDS).describe('Which provider renders: comfyui-local or fastvideo-local.');
/** Version 2: "auto" picks the valid size nearest the start keyframe's aspect ratio (same pixel area). */
const size = () =>
  z
    .literal('auto')
    .describe(
      'Version 2. "auto": the size nearest the start keyframe\'s aspect ratio (portrait, landscape or square) at the same pixel area; width/height at a more specific level win.',
    );
const workflow = () =>
  z
    .string()
    .min(1)
    .max(64)
    .describe(
      'Version 2. Name of a workflow in the timeline\'s "workflows" (ComfyUI) that renders this scene or shot.',
    );
const keyframePath = (what: string) =>
  z.string().min(1).max(1024).describe(`${what}, relative to this timeline file (PNG, JPEG or WebP).`);

/** Version 2's bookends: the clip starts on `start` and, where the model can, ends on `end`. */
export const KeyframesSchema = z
  .strictObject({
    start: keyframePath('First frame of the clip'),
    end: keyframePath(
      'Last frame of the clip (first-and-last-frame workflows; other models warn END_KEYFRAME_IGNORED)',
    ).optional(),
  })
  .describe('Version 2. The start keyframe and an optional end keyframe.');

export const SceneOverridesSchema = z
  .strictObject({
    width: side('Width').optional(),
    height: side('Height').optional(),
    fps: fps().optional(),
    numFrames: frames().optional(),
    steps: steps().optional(),
    provider: provider().optional(),
    model: z.string().min(1).max(200).optional().describe('Provider-specific model id (e.g. a FastVideo model).'),
    size: size().optional(),
    workflow: workflow().optional(),
  })
  .describe("Per-scene (or per-shot) values that replace the timeline's defaults.");

/** A shot id becomes a folder name under its scene's: the same rule as scene ids. */
const safeId = (what: string) =>
  z
    .string()
    .regex(
      SCENE_ID_PATTERN,
      'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 64)',
    )
    .refine((s) => !s.includes('..'), 'must not contain ".."')
    .refine((s) => !s.endsWith('.') && !WINDOWS_DEVICE_NAME.test(s), {
      error: (issue) => unsafeSceneIdReason(String(issue.input)) ?? 'is not a safe folder name',
    })
    .describe(what);

/** Version 2: one clip of a scene. Whatever it leaves out comes from its scene, then the timeline. */
export const ShotSchema = z
  .strictObject({
    id: safeId(
      "Stable id, unique within its scene; also the name of the folder (under the scene's) its renders go to.",
    ),
    title: z.string().min(1).max(200).optional(),
    prompt: z.string().min(1).max(4000).optional().describe("What this shot shows; the scene's prompt when absent."),
    negativePrompt: z
      .string()
      .max(4000)
      .optional()
      .describe("What to avoid; the scene's, then the timeline's, when absent."),
    keyframes: KeyframesSchema.optional().describe("This shot's start (and end) keyframe; the scene's when absent."),
    frames: frames().optional().describe('Length in frames (4k+1). Give frames or seconds, not both.'),
    seconds: z
      .number()
      .positive()
      .max(60)
      .optional()
      .describe('Length in seconds; converted to the nearest 4k+1 frame count.'),
    seed: seed().optional(),
    transition: TransitionSchema.optional(),
    overrides: SceneOverridesSchema.optional(),
    take: TakeSchema.optional(),
    continuity: ContinuitySchema.optional(),
  })
  .describe('Version 2. One shot: one clip.');

export const SceneSchema = z
  .strictObject({
    id: safeId('Stable id; also the name of the folder its renders go to.'),
    title: z.string().min(1).max(200),
    // Optional in the schema because a version 2 scene whose shots all have prompts needs none;
    // v2.ts reports a clip that ends up with no prompt at all.
    prompt: z
      .string()
      .min(1)
      .max(4000)
      .optional()
      .describe('What the clip shows (version 1: required; version 2: the default for its shots).'),
    negativePrompt: z
      .string()
      .max(4000)
      .optional()
      .describe("What to avoid; replaces the timeline's default negative prompt."),
    keyframe: keyframePath('Version 1 only: the keyframe image').optional(),
    keyframes: KeyframesSchema.optional(),
    frames: frames().optional().describe('Length in frames (4k+1). Give frames or seconds, not both.'),
    seconds: z
      .number()
      .positive()
      .max(60)
      .optional()
      .describe('Length in seconds; converted to the nearest 4k+1 frame count.'),
    seed: seed().optional().describe("Fixed seed for this scene; overrides the timeline's seed policy."),
    overrides: SceneOverridesSchema.optional(),
    shots: z
      .array(ShotSchema)
      .min(1)
      .max(1000)
      .optional()
      .describe('Version 2. The clips of this scene; a scene without shots is one clip.'),
    take: TakeSchema.optional().describe(
      'The chosen take of a scene without shots (relative to this file); the newest render without it.',
    ),
    transition: TransitionSchema.optional(),
    continuity: ContinuitySchema.optional(),
  })
  .describe('One scene: one clip, or (version 2) one clip per shot.');

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
    .describe(
      'fixed: every scene uses `seed`; increment: scene i uses seed+i; random: a new seed per render, recorded in its sidecar.',
    ),
  seed: seed().optional(),
  negativePrompt: z.string().max(4000).optional(),
  provider: provider().optional(),
  steps: steps().optional(),
  model: z.string().min(1).max(200).optional(),
  size: size().optional(),
  workflow: workflow().optional(),
});

/** Version 2: a ComfyUI workflow (API format) and its mapping, by name, that scenes and shots select. */
export const NamedWorkflowSchema = z.strictObject({
  file: z.string().min(1).max(1024).describe('API-format workflow JSON, relative to this timeline file.'),
  mapping: z
    .record(z.string(), z.string())
    .describe('"<nodeId>:<inputName>" -> what it is filled with (prompt, start_image, end_image, ...).'),
  label: z.string().max(200).optional(),
  bookends: z
    .boolean()
    .optional()
    .describe('True when it renders first-and-last-frame clips: shots with an end keyframe use it.'),
});
export const WORKFLOW_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const TimelineSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal([2, 1]).describe('Timeline format version: 2 (1 still loads).'),
    title: z.string().min(1).max(200),
    defaults: TimelineDefaultsSchema.prefault({}),
    scenes: z.array(SceneSchema).max(10_000),
    workflows: z
      .record(z.string().regex(WORKFLOW_NAME_PATTERN), NamedWorkflowSchema)
      .optional()
      .describe('Version 2. Named ComfyUI workflows.'),
    soundtrack: SoundtrackSchema.optional(),
  })
  .describe('A Scene to Video timeline: scenes rendered to MP4 clips.');

export type Timeline = z.infer<typeof TimelineSchema>;
export type Scene = z.infer<typeof SceneSchema>;
export type TimelineDefaults = z.infer<typeof TimelineDefaultsSchema>;
export type Shot = z.infer<typeof ShotSchema>;
export type Keyframes = z.infer<typeof KeyframesSchema>;
export type NamedWorkflow = z.infer<typeof NamedWorkflowSchema>;
export type SceneOverrides = z.infer<typeof SceneOverridesSchema>;
