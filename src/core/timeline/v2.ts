/**
 * The checks version 2 adds to the loader (load.ts calls them): which fields each version may use,
 * shots (unique ids, a prompt for every clip, lengths), start and end keyframes, named workflows,
 * and keyframes whose aspect ratio the render size would crop visibly.
 */
import * as path from 'node:path';
import type { Node } from 'jsonc-parser';
import { cropFraction, nearestSize, autoSizeCandidates, VISIBLE_CROP, type ImageSize } from './imageSize';
import { resolveKeyframePath } from './keyframePath';
import { resolveScenes, type SceneFallbacks } from './resolve';
import type { Timeline } from './schema';
import { describeFramesProblem, isValidFrameCount } from './validSizes';

export type V2Reporter = (
  severity: 'error' | 'warning',
  code: string,
  message: string,
  p: (string | number)[],
  key?: string,
  exact?: Node,
) => void;

/** Fields that exist only in version 2, by where they sit. */
const V2_ONLY = {
  top: ['workflows'],
  defaults: ['size', 'workflow'],
  scene: ['shots', 'keyframes'],
  overrides: ['size', 'workflow'],
} as const;

const UPGRADE_HINT =
  'Set "version": 2, or run "Scene to Video: Upgrade Timeline to v2" (scene-to-video upgrade FILE), which also rewrites "keyframe".';

function rec(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export interface V2CheckOptions {
  timelineFile: string;
  fileExists: (absPath: string) => boolean;
}

/** What the checks below share: the timeline's version, the options, the reporter and its helpers. */
interface V2Context {
  version: unknown;
  opts: V2CheckOptions;
  at: V2Reporter;
  needV2: (p: (string | number)[], field: string) => void;
  checkWorkflowRef: (o: Record<string, unknown> | undefined, p: (string | number)[]) => void;
}

/** Checks on the raw data, so they report even when other parts of the file fail the schema. */
export function checkVersionedFields(data: Record<string, unknown>, opts: V2CheckOptions, at: V2Reporter): void {
  const version = data.version;
  const v1 = version === 1;
  const needV2 = (p: (string | number)[], field: string) =>
    at('error', 'needs-version-2', `"${field}" is a version 2 field, and this timeline is version 1. ${UPGRADE_HINT}`, [
      ...p,
      field,
    ]);
  if (v1) for (const f of V2_ONLY.top) if (f in data) needV2([], f);
  const defaults = rec(data.defaults);
  if (v1 && defaults) for (const f of V2_ONLY.defaults) if (f in defaults) needV2(['defaults'], f);

  const workflows = rec(data.workflows) ?? {};
  checkWorkflowFiles(workflows, opts, at);
  const checkWorkflowRef = (o: Record<string, unknown> | undefined, p: (string | number)[]) => {
    if (typeof o?.workflow === 'string' && !(o.workflow in workflows))
      at(
        'error',
        'unknown-workflow',
        `Workflow "${o.workflow}" is not one of the timeline's "workflows" (${Object.keys(workflows).join(', ') || 'none defined'}).`,
        [...p, 'workflow'],
      );
  };
  checkWorkflowRef(defaults, ['defaults']);

  const ctx: V2Context = { version, opts, at, needV2, checkWorkflowRef };
  const scenes = Array.isArray(data.scenes) ? data.scenes : [];
  scenes.forEach((raw, i) => checkScene(raw, i, ctx));
}

/** Each named workflow's file must exist (paths are relative to the timeline file). */
function checkWorkflowFiles(workflows: Record<string, unknown>, opts: V2CheckOptions, at: V2Reporter): void {
  for (const [name, w] of Object.entries(workflows)) {
    const file = rec(w)?.file;
    if (
      typeof file === 'string' &&
      file &&
      !opts.fileExists(path.resolve(path.dirname(opts.timelineFile), file.replace(/\\/g, '/')))
    )
      at(
        'error',
        'workflow-missing',
        `Workflow "${name}": its file "${file}" does not exist (paths are relative to the timeline file).`,
        ['workflows', name, 'file'],
      );
  }
}

/** One scene: the fields its version allows, its workflow reference, keyframes, prompt and shots. */
function checkScene(raw: unknown, i: number, ctx: V2Context): void {
  const { version, opts, at, needV2, checkWorkflowRef } = ctx;
  const s = rec(raw);
  if (!s) return;
  const sp = ['scenes', i];
  const overrides = rec(s.overrides);
  if (version === 1) {
    for (const f of V2_ONLY.scene) if (f in s) needV2(sp, f);
    if (overrides) for (const f of V2_ONLY.overrides) if (f in overrides) needV2([...sp, 'overrides'], f);
  } else if (version === 2 && s.keyframe !== undefined) {
    at(
      'error',
      'keyframe-v1',
      `scenes[${i}].keyframe is version 1's field: in version 2 write "keyframes": { "start": ${JSON.stringify(s.keyframe)} } (the upgrade command does it).`,
      [...sp, 'keyframe'],
    );
  }
  checkWorkflowRef(overrides, [...sp, 'overrides']);
  checkKeyframes(s.keyframes, [...sp, 'keyframes'], `scene "${idText(s.id, i)}"`, opts, at);
  const shots = Array.isArray(s.shots) ? s.shots : undefined;
  if (!shots) {
    if (s.prompt === undefined && (version === 2 || version === 1))
      at(
        'error',
        'missing-field',
        `scenes[${i}].prompt is required: add the prompt as a string (in version 2, or give each of its "shots" a prompt).`,
        [...sp, 'prompt'],
      );
    return;
  }
  const seen = new Map<string, number>();
  shots.forEach((rawShot, j) => checkShot(rawShot, j, s, i, seen, ctx));
}

/** One shot of scene `s` (scenes[i]): a unique id, a prompt, one length, valid frames, workflow and keyframes. */
function checkShot(
  rawShot: unknown,
  j: number,
  s: Record<string, unknown>,
  i: number,
  seen: Map<string, number>,
  ctx: V2Context,
): void {
  const { opts, at, checkWorkflowRef } = ctx;
  const sh = rec(rawShot);
  if (!sh) return;
  const p = ['scenes', i, 'shots', j];
  const where = `scenes[${i}].shots[${j}]`;
  if (typeof sh.id === 'string') {
    const prev = seen.get(sh.id.toLowerCase());
    if (prev !== undefined)
      at(
        'error',
        'duplicate-shot-id',
        `Shot id "${sh.id}" is used twice in scene "${idText(s.id, i)}" (also by shots[${prev}], ignoring letter case). Shot ids must be unique within their scene: their renders go to a folder named after the id.`,
        [...p, 'id'],
      );
    else seen.set(sh.id.toLowerCase(), j);
  }
  if (sh.prompt === undefined && s.prompt === undefined)
    at(
      'error',
      'missing-field',
      `${where} has no prompt, and neither has its scene: give the shot a "prompt" (or the scene one its shots share).`,
      p,
    );
  if (sh.frames !== undefined && sh.seconds !== undefined)
    at('error', 'length-conflict', `${where} gives both "frames" and "seconds": keep one of them.`, [...p, 'seconds']);
  if (
    typeof sh.frames === 'number' &&
    Number.isInteger(sh.frames) &&
    sh.frames >= 5 &&
    sh.frames <= 241 &&
    !isValidFrameCount(sh.frames)
  )
    at('error', 'invalid-frames', `${where}.frames: ${describeFramesProblem(sh.frames)}`, [...p, 'frames']);
  checkWorkflowRef(rec(sh.overrides), [...p, 'overrides']);
  checkKeyframes(
    sh.keyframes,
    [...p, 'keyframes'],
    `shot "${idText(sh.id, j)}" of scene "${idText(s.id, i)}"`,
    opts,
    at,
  );
}

function checkKeyframes(
  raw: unknown,
  p: (string | number)[],
  owner: string,
  opts: V2CheckOptions,
  at: V2Reporter,
): void {
  const k = rec(raw);
  if (!k) return;
  for (const which of ['start', 'end'] as const) {
    const rel = k[which];
    if (typeof rel !== 'string' || rel.length === 0) continue;
    const abs = resolveKeyframePath(opts.timelineFile, rel);
    const foreignAbsolute = path.sep === '/' && /^([A-Za-z]:[\\/]|\\\\)/.test(rel);
    const hint = foreignAbsolute
      ? ' It is an absolute Windows path, which does not exist on this machine: write it relative to the timeline file instead (e.g. "keyframes/shot.png").'
      : ' Paths are relative to the timeline file.';
    if (!opts.fileExists(abs))
      at(
        'error',
        'keyframe-missing',
        `The ${which} keyframe "${rel}" of ${owner} does not exist (looked for ${abs}).${hint}`,
        [...p, which],
      );
    else if (!/\.(png|jpe?g|webp)$/i.test(rel))
      at(
        'warning',
        'keyframe-format',
        `The ${which} keyframe "${rel}" of ${owner} is not a .png, .jpg or .webp file; the providers read PNG, JPEG and WebP.`,
        [...p, which],
      );
  }
}

/**
 * After a successful parse: a start keyframe whose shape the render size would crop visibly, and a
 * `size: "auto"` whose keyframe cannot be read. Reported on the keyframe, naming the better size.
 */
export function checkKeyframeAspect(
  timeline: Timeline,
  opts: { timelineFile: string; imageSize: (abs: string) => ImageSize | undefined; fallbacks?: SceneFallbacks },
  at: V2Reporter,
): void {
  const clips = resolveScenes(timeline, opts.timelineFile, opts.fallbacks ?? {}, { imageSize: opts.imageSize });
  const sceneIndex = new Map(timeline.scenes.map((s, i) => [s.id, i]));
  for (const c of clips) {
    if (!c.keyframePath) continue;
    const i = sceneIndex.get(c.id) ?? 0;
    const scene = timeline.scenes[i];
    const j = c.shotId === undefined ? -1 : (scene?.shots ?? []).findIndex((sh) => sh.id === c.shotId);
    const shot = j >= 0 ? scene?.shots?.[j] : undefined;
    const p: (string | number)[] = shot?.keyframes
      ? ['scenes', i, 'shots', j, 'keyframes', 'start']
      : scene?.keyframe !== undefined
        ? ['scenes', i, 'keyframe']
        : ['scenes', i, 'keyframes', 'start'];
    const k = opts.imageSize(c.keyframePath);
    if (!k) continue; // missing or not an image: reported by the existence and format checks
    const crop = cropFraction(k, c);
    if (crop <= VISIBLE_CROP) continue;
    const better = nearestSize(k, autoSizeCandidates({ width: c.width, height: c.height }));
    const sameShape = better.width === c.width && better.height === c.height;
    const fix = sameShape
      ? "Crop or re-make the keyframe to the render's shape."
      : `Render it at ${better.width}x${better.height} (set "size": "auto" in its overrides, or width ${better.width} and height ${better.height}), or re-make the keyframe.`;
    at(
      'warning',
      'keyframe-aspect',
      `The keyframe of ${c.shotId ? `shot "${c.key ?? c.id}"` : `scene "${c.id}"`} is ${k.width}x${k.height}; rendering it at ${c.width}x${c.height} crops ${Math.round(crop * 100)}% of it away. ${fix}`,
      p,
    );
  }
}

/** An id for a message: as written when it is a string or number, else the item's index (a hostile
 * value, e.g. an object whose toString is not a function, must not make the loader throw). */
export function idText(id: unknown, index: number): string {
  return typeof id === 'string' || typeof id === 'number' ? String(id) : String(index);
}
