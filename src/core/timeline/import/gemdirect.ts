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

export async function importGemDirect(data: unknown, opts: ImportOptions): Promise<ImportResult> {
  const shape = detectShape(data);
  if (!shape)
    throw new StvError(
      'INVALID_REQUEST',
      `${path.basename(opts.sourceFile)} is not a gemDirect1 project export, story or scene file.`,
      'Export the project from gemDirect1 (Save project), or pick one of its scene JSON files.',
    );
  const targetDir = path.dirname(opts.targetTimelineFile);
  const keyDir = path.join(targetDir, 'keyframes');
  const written: string[] = [];
  const workflowsWritten: string[] = [];
  const warnings: string[] = [];
  const notCarried: string[] = [];
  const used = new Set<string>();
  const relKey = (abs: string) => path.relative(targetDir, abs).split(path.sep).join('/');

  const writeImage = async (encoded: string | undefined, base: string, what: string): Promise<string | undefined> => {
    if (!encoded) return undefined;
    const img = decodeImage(encoded);
    if (!img) {
      warnings.push(`${what} is not a PNG, JPEG or WebP image; skipped.`);
      return undefined;
    }
    await mkdir(keyDir, { recursive: true });
    const file = await writeNewFile(keyDir, base, img.ext, img.bytes);
    written.push(file);
    return relKey(file);
  };
  const writeBookends = async (
    k: { start?: string; end?: string },
    base: string,
    what: string,
  ): Promise<Keyframes | undefined> => {
    const start = await writeImage(k.start, base, `The start keyframe of ${what}`);
    const end = await writeImage(k.end, `${base}-end`, `The end keyframe of ${what}`);
    if (end && !start) {
      warnings.push(
        `${what} has an end keyframe but no start keyframe: the end image became its start keyframe (${end}).`,
      );
      return { start: end };
    }
    return start ? { start, ...(end ? { end } : {}) } : undefined;
  };
  const seconds = (duration: number, where: string): number => {
    // Longer than one clip can be: keep the longest the model renders rather than a timeline our loader refuses.
    const maxSeconds = Math.floor(((MAX_FRAMES - 1) / NATIVE.fps) * 100) / 100;
    if (duration > maxSeconds)
      warnings.push(
        `${where}: its ${duration} s became ${maxSeconds} s, the longest clip the model renders at ${NATIVE.fps} fps; split it to keep the rest.`,
      );
    return Math.min(maxSeconds, duration);
  };

  const scenes: Scene[] = [];
  let title = 'Imported from gemDirect1';
  const defaults: TimelineDefaults = {
    width: NATIVE.width,
    height: NATIVE.height,
    fps: NATIVE.fps,
    numFrames: NATIVE.numFrames,
    seedPolicy: 'fixed',
    seed: 42,
    size: 'auto',
  };
  let workflows: Record<string, NamedWorkflow> | undefined;

  if (shape === 'project') {
    const p = ProjectSchema.parse(data);
    const raw = data as Record<string, unknown>;
    notCarried.push(...unread(raw, READ.project, ''), ...unread(p.storyBible, READ.storyBible, 'storyBible'));
    title = p.storyBible?.title || p.storyBible?.logline?.slice(0, 200) || title;
    if (p.storyBible?.title && p.storyBible.logline)
      notCarried.push('storyBible.logline (the title names the timeline)');
    if (p.localGenSettings !== undefined)
      workflows = await importEmbeddedSettings(p.localGenSettings, defaults, {
        targetDir,
        warnings,
        notCarried,
        workflowsWritten,
      });
    const shotImages = p.generatedShotImages ?? {};
    for (const [si, s] of p.scenes.entries()) {
      const id = safeId(s.id, used);
      const where = `scenes[${si}] ("${s.id}")`;
      const rawScene = (raw.scenes as unknown[])[si];
      notCarried.push(
        ...unread(rawScene, READ.scene, where),
        ...unread(s.timeline, READ.sceneTimeline, `${where}.timeline`),
        ...unread(s.temporalContext, READ.temporal, `${where}.temporalContext`),
      );
      const scene: Scene = { id, title: (s.title || id).slice(0, 200) };
      if (s.summary?.trim()) scene.prompt = s.summary.trim().slice(0, 4000);
      if (s.timeline?.negativePrompt) scene.negativePrompt = s.timeline.negativePrompt.slice(0, 4000);
      const fromScene = { ...keyframeShape(s.keyframeStart, `${where}.keyframeStart`, notCarried) };
      const endShape = keyframeShape(s.keyframeEnd, `${where}.keyframeEnd`, notCarried);
      const sceneImages =
        fromScene.start || endShape.start
          ? { start: fromScene.start, end: endShape.start ?? fromScene.end }
          : keyframeShape(p.generatedImages?.[s.id], `generatedImages["${s.id}"]`, notCarried);
      const keyframes = await writeBookends(sceneImages, id, `scene "${id}"`);
      if (keyframes) scene.keyframes = keyframes;
      const duration = s.temporalContext?.duration;
      if (duration) scene.seconds = seconds(duration, `Scene "${id}"`);

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
        const own = { ...keyframeShape(rawShot.keyframeStart, `${shotWhere}.keyframeStart`, notCarried) };
        const ownEnd = keyframeShape(rawShot.keyframeEnd, `${shotWhere}.keyframeEnd`, notCarried);
        const shotImages2 =
          own.start || ownEnd.start
            ? { start: own.start, end: ownEnd.start ?? own.end }
            : sh.id !== undefined
              ? keyframeShape(shotImages[sh.id], `generatedShotImages["${sh.id}"]`, notCarried)
              : {};
        const shotKeyframes = await writeBookends(shotImages2, `${id}-${shotId}`, `shot "${shotId}" of scene "${id}"`);
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
      if (outShots.length) scene.shots = outShots;
      else if (!scene.prompt) scene.prompt = scene.title;
      if (s.keyframeMode === 'single' && scene.keyframes?.end)
        warnings.push(
          `Scene "${id}" was in single-keyframe mode but carries an end keyframe: it was kept (${scene.keyframes.end}); remove it to render from the start keyframe alone.`,
        );
      scenes.push(scene);
    }
    const sceneIds = new Set(p.scenes.map((s) => s.id));
    for (const k of Object.keys(p.generatedImages ?? {}))
      if (!sceneIds.has(k)) notCarried.push(`generatedImages["${k}"] (no scene has that id)`);
    const shotIds = new Set(p.scenes.flatMap((s) => (s.timeline?.shots ?? []).map((sh) => sh.id)));
    for (const k of Object.keys(shotImages))
      if (!shotIds.has(k)) notCarried.push(`generatedShotImages["${k}"] (no shot has that id)`);
  } else {
    const story =
      shape === 'story'
        ? StorySchema.parse(data)
        : { title: undefined, logline: undefined, scenes: [FlatSceneSchema.parse(data)] };
    if (shape === 'story') notCarried.push(...unread(data, READ.story, ''));
    title = story.title || story.logline?.slice(0, 200) || title;
    if (story.title && story.logline) notCarried.push('logline (the title names the timeline)');
    for (const [si, s] of story.scenes.entries()) {
      const id = safeId(s.id, used);
      notCarried.push(...unread(s, READ.flat, shape === 'story' ? `scenes[${si}] ("${s.id}")` : ''));
      const prompt =
        joinPrompt([
          s.prompt || s.summary,
          s.cameraMovement ? `camera: ${s.cameraMovement}` : undefined,
          s.mood ? `mood: ${s.mood}` : undefined,
        ]) ||
        s.title ||
        id;
      if (s.prompt && s.summary && s.summary.trim() !== s.prompt.trim())
        notCarried.push(`${shape === 'story' ? `scenes[${si}].` : ''}summary (the prompt was used)`);
      const scene: Scene = { id, title: (s.title || id).slice(0, 200), prompt };
      if (s.negativePrompt) scene.negativePrompt = s.negativePrompt.slice(0, 4000);
      if (s.expectedFrames) {
        const frames = isValidFrameCount(s.expectedFrames)
          ? s.expectedFrames
          : (nearestFrameCounts(s.expectedFrames).at(-1) ?? framesForSeconds(5, NATIVE.fps));
        if (frames !== s.expectedFrames)
          warnings.push(
            `Scene "${id}": expectedFrames ${s.expectedFrames} became ${frames} (the model takes 4k+1 frames).`,
          );
        scene.frames = frames;
      }
      if (s.keyframePath) {
        const found = await locateKeyframe(s.keyframePath, opts.sourceFile);
        if (!found.file)
          warnings.push(
            `Scene "${id}": keyframe ${s.keyframePath} was not found (looked for ${found.tried.join(', ')}); the scene has no keyframe.`,
          );
        else {
          if (found.fallback) warnings.push(`Scene "${id}": keyframe ${s.keyframePath} ${found.fallback}`);
          try {
            const bytes = await readFile(found.file);
            const img = decodeImage(bytes.toString('base64'));
            if (!img) throw new Error('not a PNG, JPEG or WebP image');
            const dest = await writeNewFile(keyDir, id, img.ext, bytes);
            written.push(dest);
            scene.keyframes = { start: relKey(dest) };
          } catch (e) {
            warnings.push(`Scene "${id}": keyframe ${found.file} could not be imported (${(e as Error).message}).`);
          }
        }
      }
      scenes.push(scene);
    }
  }
  const timeline: Timeline = {
    $schema: 'https://scene-to-video.invalid/schemas/timeline-v2.json',
    version: 2,
    title: title.slice(0, 200),
    defaults,
    scenes,
    ...(workflows && Object.keys(workflows).length ? { workflows } : {}),
  };
  return { timeline, keyframesWritten: written, workflowsWritten, warnings, notCarried };
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
