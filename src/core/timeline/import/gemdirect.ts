/**
 * Converts gemDirect1's files into a version 2 timeline, keeping everything the format can hold
 * and listing, in one report, every field that had nowhere to go:
 *  - a project export (`ProjectSaveState`): every scene, each of its `timeline.shots[]` as a shot
 *    (visualPrompt, else description, plus the scene's shot enhancers), transitions between shots,
 *    bookends from every keyframe shape the app stores (keyframeStart/keyframeEnd on scenes and
 *    shots; `generatedImages[sceneId]` and `generatedShotImages[shotId]` as a base64 or data: URL
 *    string, `{start, end}` or `{current, versions, selectedVersionIndex}`), temporalContext.duration,
 *    negative prompts, sizes from the embedded localGenSettings and its workflow profiles;
 *  - flat per-scene files ({id,title,summary,prompt,keyframePath,expectedFrames,negativePrompt,...}),
 *    alone or wrapped in a story file's scenes[]; keyframePath may be a Windows path (locate.ts).
 * Keyframes and workflows are written as files beside the new timeline; nothing existing is
 * replaced. gemDirect1 has no licence: this is written from its formats, not its code.
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { StvError } from '../../errors';
import { importLocalGenSettings, OTHER_PROFILES_NOTE } from '../../settings/localGenSettings';
import {
  unsafeSceneIdReason,
  type Keyframes,
  type NamedWorkflow,
  type Scene,
  type Shot,
  type Timeline,
  type TimelineDefaults,
} from '../schema';
import {
  framesForSeconds,
  nearestFrameCounts,
  isValidFrameCount,
  isValidSide,
  MAX_FRAMES,
  NATIVE,
} from '../validSizes';
import { decodeImage, writeNewFile } from './images';
import { locateKeyframe } from './locate';

const ShotSchema = z
  .object({
    id: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    visualPrompt: z.string().optional(),
  })
  .loose();
const ProjectSceneSchema = z
  .object({
    id: z.string(),
    title: z.string().optional(),
    summary: z.string().optional(),
    timeline: z
      .object({
        shots: z.array(ShotSchema).default([]),
        negativePrompt: z.string().optional(),
        shotEnhancers: z.unknown().optional(),
        transitions: z.unknown().optional(),
      })
      .loose()
      .optional(),
    keyframeStart: z.unknown().optional(),
    keyframeEnd: z.unknown().optional(),
    keyframeMode: z.string().optional(),
    temporalContext: z.object({ duration: z.number().positive().optional() }).loose().optional(),
  })
  .loose();
const ProjectSchema = z
  .object({
    scenes: z.array(ProjectSceneSchema),
    generatedImages: z.record(z.string(), z.unknown()).optional(),
    generatedShotImages: z.record(z.string(), z.unknown()).optional(),
    storyBible: z.object({ title: z.string().optional(), logline: z.string().optional() }).loose().optional(),
    localGenSettings: z.unknown().optional(),
  })
  .loose();
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
const StorySchema = z
  .object({ title: z.string().optional(), logline: z.string().optional(), scenes: z.array(FlatSceneSchema) })
  .loose();

/** The fields each gemDirect1 object has that the import reads; every other one is reported. */
const READ = {
  project: ['version', 'storyBible', 'scenes', 'generatedImages', 'generatedShotImages', 'localGenSettings'],
  storyBible: ['title', 'logline'],
  scene: ['id', 'title', 'summary', 'timeline', 'keyframeStart', 'keyframeEnd', 'keyframeMode', 'temporalContext'],
  sceneTimeline: ['shots', 'negativePrompt', 'shotEnhancers', 'transitions'],
  shot: ['id', 'title', 'description', 'visualPrompt', 'keyframeStart', 'keyframeEnd'],
  temporal: ['duration'],
  story: ['title', 'logline', 'scenes'],
  flat: [
    'id',
    'title',
    'summary',
    'prompt',
    'mood',
    'keyframePath',
    'expectedFrames',
    'negativePrompt',
    'cameraMovement',
  ],
} as const;

export interface ImportResult {
  timeline: Timeline;
  keyframesWritten: string[];
  /** Workflow files written for the embedded localGenSettings' profiles. */
  workflowsWritten: string[];
  /** What the import changed or had to look for (a keyframe found by its file name, a length clamped, ...). */
  warnings: string[];
  /** Every field that had nowhere to go in the timeline, one line each: the report after an import. */
  notCarried: string[];
}

export type GemDirectShape = 'project' | 'story' | 'scene';

export function detectShape(data: unknown): GemDirectShape | undefined {
  if (
    ProjectSchema.safeParse(data).success &&
    (data as { scenes: unknown[] }).scenes.some((s) => s && typeof s === 'object' && 'timeline' in s)
  )
    return 'project';
  if (StorySchema.safeParse(data).success) return 'story';
  if (FlatSceneSchema.safeParse(data).success && typeof (data as { prompt?: unknown }).prompt === 'string')
    return 'scene';
  if (ProjectSchema.safeParse(data).success) return 'project';
  return undefined;
}

/**
 * A scene or shot id that is a safe folder name, unique within `used` ignoring case: on Windows
 * and macOS "Night-1" and "night-1" would share a render folder.
 */
function safeId(raw: string, used: Set<string>, fallback = 'scene'): string {
  let id =
    raw
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/\.\.+/g, '.')
      .replace(/^[^A-Za-z0-9]+/, '')
      .replace(/[-.]+$/, '')
      .slice(0, 56) || fallback;
  if (unsafeSceneIdReason(id)) id = `${fallback}-${id}`.slice(0, 56);
  let candidate = id;
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${id}-${n}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

function joinPrompt(parts: (string | undefined)[]): string {
  return parts
    .map((p) => p?.trim())
    .filter((p): p is string => !!p)
    .join('. ')
    .replace(/\.\s*\./g, '.')
    .slice(0, 4000);
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Keys of `obj` that the import does not read, as "where.key" lines. */
function unread(obj: unknown, known: readonly string[], where: string): string[] {
  const o = rec(obj);
  return o
    ? Object.keys(o)
        .filter((k) => !known.includes(k))
        .map((k) => `${where}${where ? '.' : ''}${k}`)
    : [];
}

/** A shot enhancer ({framing: [...], movement: [...], ...}) as prompt text: "framing: close-up; movement: dolly in". */
function enhancerText(v: unknown): string | undefined {
  const o = rec(v);
  if (!o) return undefined;
  const parts = Object.entries(o)
    .map(
      ([k, vals]) =>
        [
          k,
          (Array.isArray(vals) ? vals : [vals]).filter((x): x is string => typeof x === 'string' && x.trim() !== ''),
        ] as const,
    )
    .filter(([, vals]) => vals.length > 0)
    .map(([k, vals]) => `${k}: ${vals.join(', ')}`);
  return parts.length ? parts.join('; ') : undefined;
}

/**
 * gemDirect1's keyframe shapes as start and end images (still encoded):
 * a string (base64 or data: URL), `{start, end}`, or `{current, versions[], selectedVersionIndex}`.
 */
function keyframeShape(v: unknown, where: string, notCarried: string[]): { start?: string; end?: string } {
  if (typeof v === 'string') return v ? { start: v } : {};
  const o = rec(v);
  if (!o) return {};
  if ('start' in o || 'end' in o) {
    notCarried.push(...unread(o, ['start', 'end'], where));
    return {
      ...(typeof o.start === 'string' && o.start ? { start: o.start } : {}),
      ...(typeof o.end === 'string' && o.end ? { end: o.end } : {}),
    };
  }
  if ('current' in o || 'versions' in o) {
    const versions = Array.isArray(o.versions) ? o.versions : [];
    const i = typeof o.selectedVersionIndex === 'number' ? o.selectedVersionIndex : -1;
    const chosen = i >= 0 && i < versions.length ? versions[i] : o.current;
    // Every other image it holds (older versions, a `current` that is not the selected one) is left behind.
    const others = new Set(
      [...versions, o.current]
        .filter((x) => x !== undefined && x !== null && x !== chosen)
        .map((x) => JSON.stringify(x)),
    ).size;
    if (others > 0)
      notCarried.push(`${where}: ${others} other keyframe version(s) (only the selected one was imported)`);
    notCarried.push(...unread(o, ['current', 'versions', 'selectedVersionIndex'], where));
    // A version may itself be {start, end}.
    return keyframeShape(chosen, where, notCarried);
  }
  notCarried.push(`${where} (a keyframe in a shape this import does not know: ${Object.keys(o).join(', ')})`);
  return {};
}

export interface ImportOptions {
  sourceFile: string;
  targetTimelineFile: string;
}

type Project = z.infer<typeof ProjectSchema>;
type ProjectScene = z.infer<typeof ProjectSceneSchema>;
type FlatScene = z.infer<typeof FlatSceneSchema>;

/** What the steps of one import share: where files go, what was written, and the report so far. */
interface ImportContext {
  opts: ImportOptions;
  targetDir: string;
  keyDir: string;
  written: string[];
  workflowsWritten: string[];
  warnings: string[];
  notCarried: string[];
  /** Scene ids given so far (lower case). */
  used: Set<string>;
  defaults: TimelineDefaults;
}

/** What each input kind contributes to the timeline. */
interface ImportedParts {
  title: string | undefined;
  scenes: Scene[];
  workflows?: Record<string, NamedWorkflow>;
}

export async function importGemDirect(data: unknown, opts: ImportOptions): Promise<ImportResult> {
  const shape = detectShape(data);
  if (!shape)
    throw new StvError(
      'INVALID_REQUEST',
      `${path.basename(opts.sourceFile)} is not a gemDirect1 project export, story or scene file.`,
      'Export the project from gemDirect1 (Save project), or pick one of its scene JSON files.',
    );
  const targetDir = path.dirname(opts.targetTimelineFile);
  const ctx: ImportContext = {
    opts,
    targetDir,
    keyDir: path.join(targetDir, 'keyframes'),
    written: [],
    workflowsWritten: [],
    warnings: [],
    notCarried: [],
    used: new Set<string>(),
    defaults: {
      width: NATIVE.width,
      height: NATIVE.height,
      fps: NATIVE.fps,
      numFrames: NATIVE.numFrames,
      seedPolicy: 'fixed',
      seed: 42,
      size: 'auto',
    },
  };
  const parts = shape === 'project' ? await importProject(data, ctx) : await importFlatScenes(data, shape, ctx);
  const title = parts.title || 'Imported from gemDirect1';
  const workflows = parts.workflows;
  const timeline: Timeline = {
    version: 2,
    title: title.slice(0, 200),
    defaults: ctx.defaults,
    scenes: parts.scenes,
    ...(workflows && Object.keys(workflows).length ? { workflows } : {}),
  };
  const { written, workflowsWritten, warnings, notCarried } = ctx;
  return { timeline, keyframesWritten: written, workflowsWritten, warnings, notCarried };
}

/** A path beside the new timeline, relative to its folder with forward slashes. */
function relKey(ctx: ImportContext, abs: string): string {
  return path.relative(ctx.targetDir, abs).split(path.sep).join('/');
}

async function writeImage(
  ctx: ImportContext,
  encoded: string | undefined,
  base: string,
  what: string,
): Promise<string | undefined> {
  if (!encoded) return undefined;
  const img = decodeImage(encoded);
  if (!img) {
    ctx.warnings.push(`${what} is not a PNG, JPEG or WebP image; skipped.`);
    return undefined;
  }
  await mkdir(ctx.keyDir, { recursive: true });
  const file = await writeNewFile(ctx.keyDir, base, img.ext, img.bytes);
  ctx.written.push(file);
  return relKey(ctx, file);
}

async function writeBookends(
  ctx: ImportContext,
  k: { start?: string; end?: string },
  base: string,
  what: string,
): Promise<Keyframes | undefined> {
  const start = await writeImage(ctx, k.start, base, `The start keyframe of ${what}`);
  const end = await writeImage(ctx, k.end, `${base}-end`, `The end keyframe of ${what}`);
  if (end && !start) {
    ctx.warnings.push(
      `${what} has an end keyframe but no start keyframe: the end image became its start keyframe (${end}).`,
    );
    return { start: end };
  }
  return start ? { start, ...(end ? { end } : {}) } : undefined;
}

function clampSeconds(ctx: ImportContext, duration: number, where: string): number {
  // Longer than one clip can be: keep the longest the model renders rather than a timeline our loader refuses.
  const maxSeconds = Math.floor(((MAX_FRAMES - 1) / NATIVE.fps) * 100) / 100;
  if (duration > maxSeconds)
    ctx.warnings.push(
      `${where}: its ${duration} s became ${maxSeconds} s, the longest clip the model renders at ${NATIVE.fps} fps; split it to keep the rest.`,
    );
  return Math.min(maxSeconds, duration);
}

/** Start and end images from the owner's keyframeStart/keyframeEnd, else from the fallback (generated images). */
function bookendImages(
  ctx: ImportContext,
  owner: { keyframeStart?: unknown; keyframeEnd?: unknown },
  where: string,
  fallback: () => { start?: string; end?: string },
): { start?: string; end?: string } {
  const own = { ...keyframeShape(owner.keyframeStart, `${where}.keyframeStart`, ctx.notCarried) };
  const ownEnd = keyframeShape(owner.keyframeEnd, `${where}.keyframeEnd`, ctx.notCarried);
  return own.start || ownEnd.start ? { start: own.start, end: ownEnd.start ?? own.end } : fallback();
}

/** A project export (`ProjectSaveState`): its story bible, embedded settings, scenes and their shots. */
async function importProject(data: unknown, ctx: ImportContext): Promise<ImportedParts> {
  const { notCarried } = ctx;
  const p = ProjectSchema.parse(data);
  const raw = data as Record<string, unknown>;
  notCarried.push(...unread(raw, READ.project, ''), ...unread(p.storyBible, READ.storyBible, 'storyBible'));
  const title = p.storyBible?.title || p.storyBible?.logline?.slice(0, 200);
  if (p.storyBible?.title && p.storyBible.logline) notCarried.push('storyBible.logline (the title names the timeline)');
  let workflows: Record<string, NamedWorkflow> | undefined;
  if (p.localGenSettings !== undefined)
    workflows = await importEmbeddedSettings(p.localGenSettings, ctx.defaults, {
      targetDir: ctx.targetDir,
      warnings: ctx.warnings,
      notCarried,
      workflowsWritten: ctx.workflowsWritten,
    });
  const scenes: Scene[] = [];
  for (const [si, s] of p.scenes.entries())
    scenes.push(await importProjectScene(ctx, p, (raw.scenes as unknown[])[si], s, si));
  const sceneIds = new Set(p.scenes.map((s) => s.id));
  for (const k of Object.keys(p.generatedImages ?? {}))
    if (!sceneIds.has(k)) notCarried.push(`generatedImages["${k}"] (no scene has that id)`);
  const shotIds = new Set(p.scenes.flatMap((s) => (s.timeline?.shots ?? []).map((sh) => sh.id)));
  for (const k of Object.keys(p.generatedShotImages ?? {}))
    if (!shotIds.has(k)) notCarried.push(`generatedShotImages["${k}"] (no shot has that id)`);
  return { title, scenes, workflows };
}

/** scenes[si] of a project export, with its keyframes, length and shots. */
async function importProjectScene(
  ctx: ImportContext,
  p: Project,
  rawScene: unknown,
  s: ProjectScene,
  si: number,
): Promise<Scene> {
  const { notCarried } = ctx;
  const id = safeId(s.id, ctx.used);
  const where = `scenes[${si}] ("${s.id}")`;
  notCarried.push(
    ...unread(rawScene, READ.scene, where),
    ...unread(s.timeline, READ.sceneTimeline, `${where}.timeline`),
    ...unread(s.temporalContext, READ.temporal, `${where}.temporalContext`),
  );
  const scene: Scene = { id, title: (s.title || id).slice(0, 200) };
  if (s.summary?.trim()) scene.prompt = s.summary.trim().slice(0, 4000);
  if (s.timeline?.negativePrompt) scene.negativePrompt = s.timeline.negativePrompt.slice(0, 4000);
  const sceneImages = bookendImages(ctx, s, where, () =>
    keyframeShape(p.generatedImages?.[s.id], `generatedImages["${s.id}"]`, notCarried),
  );
  const keyframes = await writeBookends(ctx, sceneImages, id, `scene "${id}"`);
  if (keyframes) scene.keyframes = keyframes;
  const duration = s.temporalContext?.duration;
  if (duration) scene.seconds = clampSeconds(ctx, duration, `Scene "${id}"`);

  const outShots = await importProjectShots(ctx, p, s, scene, where);
  if (outShots.length) scene.shots = outShots;
  else if (!scene.prompt) scene.prompt = scene.title;
  if (s.keyframeMode === 'single' && scene.keyframes?.end)
    ctx.warnings.push(
      `Scene "${id}" was in single-keyframe mode but carries an end keyframe: it was kept (${scene.keyframes.end}); remove it to render from the start keyframe alone.`,
    );
  return scene;
}

/** The shots of a project scene, with the transitions that lead into them and their enhancers. */
async function importProjectShots(
  ctx: ImportContext,
  p: Project,
  s: ProjectScene,
  scene: Scene,
  where: string,
): Promise<Shot[]> {
  const { notCarried } = ctx;
  const id = scene.id;
  const shotImages = p.generatedShotImages ?? {};
  const shots = s.timeline?.shots ?? [];
  const enhancers = rec(s.timeline?.shotEnhancers) ?? {};
  const transitions = Array.isArray(s.timeline?.transitions) ? (s.timeline.transitions as unknown[]) : [];
  const usedShots = new Set<string>();
  const outShots: Shot[] = [];
  for (const [j, sh] of shots.entries()) {
    const shotWhere = `${where}.timeline.shots[${j}]`;
    const rawShot = rec(sh) ?? {};
    notCarried.push(...unread(rawShot, READ.shot, shotWhere));
    const shotId = safeId(sh.id ?? `shot-${j + 1}`, usedShots, 'shot');
    const main = sh.visualPrompt?.trim() || sh.description?.trim();
    if (sh.visualPrompt?.trim() && sh.description?.trim() && sh.description.trim() !== sh.visualPrompt.trim())
      notCarried.push(`${shotWhere}.description (the visualPrompt became the shot's prompt)`);
    const shot: Shot = { id: shotId };
    if (sh.title?.trim()) shot.title = sh.title.trim().slice(0, 200);
    const prompt = joinPrompt([main, sh.id !== undefined ? enhancerText(enhancers[sh.id]) : undefined]);
    if (prompt) shot.prompt = prompt;
    else if (!scene.prompt) shot.prompt = scene.title;
    const shotImages2 = bookendImages(ctx, rawShot, shotWhere, () =>
      sh.id !== undefined ? keyframeShape(shotImages[sh.id], `generatedShotImages["${sh.id}"]`, notCarried) : {},
    );
    const shotKeyframes = await writeBookends(ctx, shotImages2, `${id}-${shotId}`, `shot "${shotId}" of scene "${id}"`);
    if (shotKeyframes) shot.keyframes = shotKeyframes;
    // transitions[k] sits between shots k and k+1: it belongs to the shot it leads into.
    const t = j > 0 ? transitions[j - 1] : undefined;
    if (typeof t === 'string' && t.trim()) shot.transition = t.trim().slice(0, 100);
    outShots.push(shot);
  }
  transitions
    .slice(Math.max(0, shots.length - 1))
    .forEach((t, k) =>
      notCarried.push(
        `${where}.timeline.transitions[${Math.max(0, shots.length - 1) + k}] (${JSON.stringify(t)}: no shot follows it)`,
      ),
    );
  for (const k of Object.keys(enhancers))
    if (!shots.some((sh) => sh.id === k))
      notCarried.push(`${where}.timeline.shotEnhancers["${k}"] (no shot has that id)`);
  return outShots;
}

/** A story file (its scenes[]) or one flat scene file. */
async function importFlatScenes(data: unknown, shape: 'story' | 'scene', ctx: ImportContext): Promise<ImportedParts> {
  const story =
    shape === 'story'
      ? StorySchema.parse(data)
      : { title: undefined, logline: undefined, scenes: [FlatSceneSchema.parse(data)] };
  if (shape === 'story') ctx.notCarried.push(...unread(data, READ.story, ''));
  const title = story.title || story.logline?.slice(0, 200);
  if (story.title && story.logline) ctx.notCarried.push('logline (the title names the timeline)');
  const scenes: Scene[] = [];
  for (const [si, s] of story.scenes.entries()) scenes.push(await importFlatScene(ctx, s, si, shape));
  return { title, scenes };
}

async function importFlatScene(ctx: ImportContext, s: FlatScene, si: number, shape: 'story' | 'scene'): Promise<Scene> {
  const id = safeId(s.id, ctx.used);
  ctx.notCarried.push(...unread(s, READ.flat, shape === 'story' ? `scenes[${si}] ("${s.id}")` : ''));
  const prompt =
    joinPrompt([
      s.prompt || s.summary,
      s.cameraMovement ? `camera: ${s.cameraMovement}` : undefined,
      s.mood ? `mood: ${s.mood}` : undefined,
    ]) ||
    s.title ||
    id;
  if (s.prompt && s.summary && s.summary.trim() !== s.prompt.trim())
    ctx.notCarried.push(`${shape === 'story' ? `scenes[${si}].` : ''}summary (the prompt was used)`);
  const scene: Scene = { id, title: (s.title || id).slice(0, 200), prompt };
  if (s.negativePrompt) scene.negativePrompt = s.negativePrompt.slice(0, 4000);
  if (s.expectedFrames) {
    const frames = isValidFrameCount(s.expectedFrames)
      ? s.expectedFrames
      : (nearestFrameCounts(s.expectedFrames).at(-1) ?? framesForSeconds(5, NATIVE.fps));
    if (frames !== s.expectedFrames)
      ctx.warnings.push(
        `Scene "${id}": expectedFrames ${s.expectedFrames} became ${frames} (the model takes 4k+1 frames).`,
      );
    scene.frames = frames;
  }
  if (s.keyframePath) await importKeyframeFile(ctx, s.keyframePath, scene);
  return scene;
}

/** A flat scene's keyframePath (found where locate.ts looks), copied beside the timeline as its start keyframe. */
async function importKeyframeFile(ctx: ImportContext, keyframePath: string, scene: Scene): Promise<void> {
  const { id } = scene;
  const found = await locateKeyframe(keyframePath, ctx.opts.sourceFile);
  if (!found.file) {
    ctx.warnings.push(
      `Scene "${id}": keyframe ${keyframePath} was not found (looked for ${found.tried.join(', ')}); the scene has no keyframe.`,
    );
    return;
  }
  if (found.fallback) ctx.warnings.push(`Scene "${id}": keyframe ${keyframePath} ${found.fallback}`);
  try {
    const bytes = await readFile(found.file);
    const img = decodeImage(bytes.toString('base64'));
    if (!img) throw new Error('not a PNG, JPEG or WebP image');
    const dest = await writeNewFile(ctx.keyDir, id, img.ext, bytes);
    ctx.written.push(dest);
    scene.keyframes = { start: relKey(ctx, dest) };
  } catch (e) {
    ctx.warnings.push(`Scene "${id}": keyframe ${found.file} could not be imported (${(e as Error).message}).`);
  }
}

/**
 * A project export's embedded localGenSettings: its fastVideo size, fps and length become the
 * timeline's defaults; each video workflow profile becomes a named workflow (files under
 * workflows/); the settings a timeline cannot hold (URLs, provider) are reported, with the command
 * that imports them into VS Code's settings.
 */
async function importEmbeddedSettings(
  raw: unknown,
  defaults: TimelineDefaults,
  ctx: { targetDir: string; warnings: string[]; notCarried: string[]; workflowsWritten: string[] },
): Promise<Record<string, NamedWorkflow> | undefined> {
  let imp;
  try {
    imp = importLocalGenSettings(raw);
  } catch (e) {
    ctx.notCarried.push(`localGenSettings (${(e as Error).message})`);
    return undefined;
  }
  const u = imp.updates;
  const w = u['fastVideo.width'];
  const h = u['fastVideo.height'];
  if (typeof w === 'number' && typeof h === 'number' && isValidSide(w) && isValidSide(h))
    Object.assign(defaults, { width: w, height: h });
  if (typeof u['fastVideo.fps'] === 'number') defaults.fps = u['fastVideo.fps'];
  if (typeof u['fastVideo.numFrames'] === 'number' && isValidFrameCount(u['fastVideo.numFrames']))
    defaults.numFrames = u['fastVideo.numFrames'];
  if (typeof u['fastVideo.seed'] === 'number' && u['fastVideo.seed'] >= 0) defaults.seed = u['fastVideo.seed'];
  const taken = new Set([
    'fastVideo.width',
    'fastVideo.height',
    'fastVideo.fps',
    'fastVideo.numFrames',
    'fastVideo.seed',
    'comfyUI.mapping',
  ]);
  const settingsOnly = Object.keys(u).filter((k) => !taken.has(k));
  if (settingsOnly.length)
    ctx.notCarried.push(
      `localGenSettings: ${settingsOnly.join(', ')} (editor settings, not timeline fields: run "Scene to Video: Import localGenSettings.json" on the file to apply them)`,
    );
  // Every video profile becomes a named workflow here, so the note that settings keep only one does not apply.
  for (const n of imp.notes) if (!n.startsWith(OTHER_PROFILES_NOTE)) ctx.notCarried.push(`localGenSettings: ${n}`);
  if (!imp.workflows.length) return undefined;
  const out: Record<string, NamedWorkflow> = {};
  const names = new Set<string>();
  for (const wf of imp.workflows) {
    const name = safeId(wf.id, names, 'workflow');
    const file = await writeNewFile(
      path.join(ctx.targetDir, 'workflows'),
      name,
      '.workflow.json',
      Buffer.from(wf.json),
    );
    ctx.workflowsWritten.push(file);
    out[name] = {
      file: path.relative(ctx.targetDir, file).split(path.sep).join('/'),
      mapping: wf.mapping,
      label: wf.label.slice(0, 200),
      ...(wf.bookends ? { bookends: true } : {}),
    };
  }
  // The active video profile is the timeline's default workflow (ComfyUI renders use it).
  const active = imp.workflow
    ? [...Object.entries(out)].find(([, v]) => v.label === imp.workflow?.label)?.[0]
    : undefined;
  if (active && !out[active]?.bookends) defaults.workflow = active;
  return out;
}
