/**
 * gemDirect1's localGenSettings.json, both ways. Import yields VS Code setting updates (flat keys)
 * and, when the file carries a ComfyUI workflow profile, that workflow to save; export writes our
 * values back into the file's shape and keeps every key we do not use.
 *
 * Every imported value goes through our own settings model first: a value we would refuse later
 * (a width that is not a multiple of 16, a URL without http://) is left out with a note saying why,
 * instead of being written into the user's settings and breaking the next render.
 */
import { z } from 'zod';
import { StvError } from '../errors';
import { mappingTarget } from '../providers/comfyui/workflow';
import {
  ComfyUISettingsSchema,
  FastVideoSettingsSchema,
  SettingsSchema,
  comfyUIEndpoints,
  type Settings,
} from './schema';

const Profile = z
  .object({
    id: z.string().optional(),
    label: z.string().optional(),
    // gemDirect1 stores the API-format workflow as a string; an object is accepted too.
    workflowJson: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    mapping: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

/** The file's shape as far as we read it; each field is checked on its own (see importLocalGenSettings). */
export const LocalGenSettingsSchema = z
  .object({
    videoProvider: z.unknown().optional(),
    comfyUIUrl: z.unknown().optional(),
    comfyUIClientId: z.unknown().optional(),
    workflowProfiles: z.unknown().optional(),
    videoWorkflowProfile: z.unknown().optional(),
    imageWorkflowProfile: z.unknown().optional(),
    fastVideo: z.unknown().optional(),
  })
  .loose();

export interface ImportedWorkflow {
  id: string;
  label: string;
  /** The API-format workflow, pretty-printed, ready to save as a file. */
  json: string;
  mapping: Record<string, string>;
  /** Its mapping fills an end image: a first-and-last-frame workflow, for shots with an end keyframe. */
  bookends?: boolean;
}

export interface LocalGenImport {
  /** VS Code setting key → value, e.g. {"comfyUI.url": "http://127.0.0.1:8188"}. */
  updates: Record<string, unknown>;
  /** The active video profile (videoWorkflowProfile, else the first video profile). */
  workflow?: ImportedWorkflow;
  /** Every profile that renders video, the active one included: named workflows a scene or shot can select. */
  workflows: ImportedWorkflow[];
  /**
   * The imageWorkflowProfile (text-to-image, e.g. gemDirect1's "wan-t2i"): the workflow "Generate
   * keyframe" uses, to save as a file for comfyUI.imageWorkflowPath (its mapping is in updates).
   */
  imageWorkflow?: ImportedWorkflow;
  notes: string[];
}

/** Starts the note about video profiles settings cannot hold (a timeline import keeps them as named workflows). */
export const OTHER_PROFILES_NOTE = 'Video workflow profiles';

/** The top-level keys this import reads; every other one is listed in the notes. */
const LOCALGEN_KEYS_READ = [
  'videoProvider',
  'comfyUIUrl',
  'comfyUIClientId',
  'workflowProfiles',
  'videoWorkflowProfile',
  'imageWorkflowProfile',
  'fastVideo',
  'workflowJson',
  'mapping',
];

/**
 * Node types that write a video. A profile whose graph has none of them (a text-to-image profile
 * ending in SaveImage) cannot render a clip, however its mapping looks.
 */
const VIDEO_OUTPUT_NODES = new Set([
  'SaveVideo',
  'SaveWEBM',
  'SaveAnimatedWEBP',
  'SaveAnimatedPNG',
  'VHS_VideoCombine',
  'CreateVideo',
]);

/** The fastVideo block's keys, the same names on both sides. */
export const LOCALGEN_FASTVIDEO_KEYS = [
  'endpointUrl',
  'modelId',
  'fps',
  'numFrames',
  'height',
  'width',
  'seed',
  'outputDir',
  'attentionBackend',
] as const;

/**
 * Ours → gemDirect1's names for what a mapping fills, on export (import reads gemDirect1's names
 * with mappingTarget()). Names that are the same on both sides (negative_prompt, keyframe_image, ...)
 * are not listed; the ComfyUI provider validates every value against the workflow before a render.
 */
const OUR_MAPPING_NAMES_IN_GEMDIRECT: Record<string, string> = { prompt: 'human_readable_prompt' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function show(v: unknown): string {
  return (JSON.stringify(v) ?? String(v)).slice(0, 80);
}

export function importLocalGenSettings(raw: unknown): LocalGenImport {
  const r = LocalGenSettingsSchema.safeParse(raw);
  if (!r.success || !isRecord(raw))
    throw new StvError(
      'SETTINGS_INVALID',
      'This is not a gemDirect1 localGenSettings.json (expected a JSON object with videoProvider, comfyUIUrl, fastVideo, ...).',
      'Pick the localGenSettings.json that gemDirect1 exported.',
    );
  const s = r.data;
  const updates: Record<string, unknown> = {};
  const notes: string[] = [];

  /** Adds `key` = `value` when our model accepts it; otherwise a note saying why it was skipped. */
  const take = (key: string, from: string, value: unknown, schema: z.ZodType): void => {
    if (value === undefined || value === null) return;
    const parsed = schema.safeParse(value);
    if (parsed.success) updates[key] = parsed.data;
    else
      notes.push(
        `${from} ${show(value)} was not imported: ${parsed.error.issues[0]?.message ?? 'invalid value'} (setting ${key} left as it was).`,
      );
  };

  if (s.videoProvider === 'comfyui-local' || s.videoProvider === 'fastvideo-local')
    updates['sceneToVideo.videoProvider'] = s.videoProvider;
  else if (s.videoProvider !== undefined)
    notes.push(
      `videoProvider ${show(s.videoProvider)} is not one Scene to Video renders with (comfyui-local, fastvideo-local); kept the current provider.`,
    );
  take('comfyUI.url', 'comfyUIUrl', s.comfyUIUrl, ComfyUISettingsSchema.shape.url);
  if (s.comfyUIClientId !== '')
    take('comfyUI.clientId', 'comfyUIClientId', s.comfyUIClientId, ComfyUISettingsSchema.shape.clientId);

  if (isRecord(s.fastVideo)) {
    const fv = s.fastVideo;
    for (const k of LOCALGEN_FASTVIDEO_KEYS)
      take(`fastVideo.${k}`, `fastVideo.${k}`, fv[k], FastVideoSettingsSchema.shape[k]);
  } else if (s.fastVideo !== undefined) notes.push('fastVideo is not an object; its values were not imported.');

  const profiles: Record<string, unknown> = isRecord(s.workflowProfiles) ? { ...s.workflowProfiles } : {};
  if (s.workflowProfiles !== undefined && !isRecord(s.workflowProfiles))
    notes.push('workflowProfiles is not an object of profiles; no workflow was imported from it.');
  // Older gemDirect1 files keep one workflow at the top level, before profiles existed.
  if (raw.workflowJson !== undefined) {
    const legacyId = 'legacy' in profiles ? 'legacy-workflow' : 'legacy';
    profiles[legacyId] = {
      id: legacyId,
      label: 'Legacy workflow (top-level workflowJson)',
      workflowJson: raw.workflowJson,
      mapping: raw.mapping,
    };
  } else if (raw.mapping !== undefined)
    notes.push('mapping (top level) has no workflowJson beside it; it was not imported.');
  const imageId = typeof s.imageWorkflowProfile === 'string' ? s.imageWorkflowProfile : '';
  const imageWorkflow = importImageProfile(imageId, profiles, notes);
  if (imageWorkflow) updates['comfyUI.imageMapping'] = imageWorkflow.mapping;
  const workflows: ImportedWorkflow[] = [];
  for (const [id, value] of Object.entries(profiles)) {
    if (id === imageId && imageWorkflow) continue; // the keyframe workflow, not a video one
    const w = importProfile(id, value, notes);
    if (w) workflows.push(w);
  }
  const wanted =
    typeof s.videoWorkflowProfile === 'string' && s.videoWorkflowProfile ? s.videoWorkflowProfile : undefined;
  if (wanted && !(wanted in profiles))
    notes.push(
      `videoWorkflowProfile "${wanted}" names no profile in workflowProfiles; no workflow was made the active one.`,
    );
  if (wanted && wanted in profiles && !workflows.some((w) => w.id === wanted))
    notes.push(
      `videoWorkflowProfile "${wanted}" cannot render video (see above); no workflow was made the active one.`,
    );
  const workflow = wanted
    ? workflows.find((w) => w.id === wanted)
    : (workflows.find((w) => !w.bookends) ?? workflows[0]);
  if (workflow) updates['comfyUI.mapping'] = workflow.mapping;
  const others = workflows.filter((w) => w !== workflow).map((w) => `"${w.id}"`);
  if (others.length)
    notes.push(
      `${OTHER_PROFILES_NOTE} ${others.join(', ')} are not the active one: settings hold one workflow. Importing a project export keeps every profile as a named workflow of its timeline.`,
    );
  const unread = Object.keys(raw).filter((k) => !LOCALGEN_KEYS_READ.includes(k));
  if (unread.length)
    notes.push(`Not imported (Scene to Video has no setting for them; they stay in the file): ${unread.join(', ')}.`);
  return { updates, ...(workflow ? { workflow } : {}), workflows, ...(imageWorkflow ? { imageWorkflow } : {}), notes };
}

/** The imageWorkflowProfile as the keyframe workflow, or undefined with a note saying why not. */
function importImageProfile(
  id: string,
  profiles: Record<string, unknown>,
  notes: string[],
): ImportedWorkflow | undefined {
  if (!id) return undefined;
  if (!(id in profiles)) {
    notes.push(`imageWorkflowProfile "${id}" names no profile in workflowProfiles; no keyframe workflow was imported.`);
    return undefined;
  }
  const w = importProfile(id, profiles[id], notes, 'image');
  if (w && !Object.values(w.mapping).includes('prompt')) {
    notes.push(
      `imageWorkflowProfile "${id}" maps no input to the prompt; it was not imported (keyframes would not follow the shot).`,
    );
    return undefined;
  }
  return w;
}

/** One workflow profile as a workflow we can render with, or undefined with a note saying why not. */
function importProfile(
  profileId: string,
  value: unknown,
  notes: string[],
  kind: 'video' | 'image' = 'video',
): ImportedWorkflow | undefined {
  const p = Profile.safeParse(value);
  if (!p.success) {
    notes.push(
      `Workflow profile "${profileId}" is not in gemDirect1's shape ({id, label, workflowJson, mapping}); it was not imported.`,
    );
    return undefined;
  }
  if (p.data.workflowJson === undefined || p.data.workflowJson === '') {
    notes.push(`Workflow profile "${profileId}" has no workflowJson; it was not imported.`);
    return undefined;
  }
  let parsedWorkflow: unknown;
  try {
    parsedWorkflow = typeof p.data.workflowJson === 'string' ? JSON.parse(p.data.workflowJson) : p.data.workflowJson;
  } catch {
    parsedWorkflow = undefined;
  }
  if (!isRecord(parsedWorkflow) || Object.keys(parsedWorkflow).length === 0) {
    notes.push(
      `Workflow profile "${profileId}" holds workflowJson that is not a JSON object of nodes; it was not imported.`,
    );
    return undefined;
  }
  const types = Object.values(parsedWorkflow).map((n) =>
    isRecord(n) && typeof n.class_type === 'string' ? n.class_type : '',
  );
  if (kind === 'image' && !types.includes('SaveImage')) {
    notes.push(
      `imageWorkflowProfile "${profileId}" (${p.data.label || profileId}) has no SaveImage node, where Scene to Video reads the keyframe from; it was not imported.`,
    );
    return undefined;
  }
  if (kind === 'video' && !types.some((t) => VIDEO_OUTPUT_NODES.has(t))) {
    const ends = types.filter((t) => /^(Save|Preview)Image/.test(t));
    notes.push(
      `Workflow profile "${profileId}" (${p.data.label || profileId}) has no video output${ends.length ? ` (its graph ends in ${[...new Set(ends)].join(', ')})` : ''}: it makes images, not clips, so it was not imported as a video workflow.`,
    );
    return undefined;
  }
  const mapping: Record<string, string> = {};
  for (const [slot, target] of Object.entries(p.data.mapping ?? {})) {
    if (typeof target !== 'string') continue;
    // Our name for it, so the setting holds only values its schema lists; gemDirect1's
    // "not mapped" ('' or 'none') is left out; an unknown name is kept for the provider to name.
    const ours = mappingTarget(target);
    if (ours === null) continue;
    mapping[slot] = ours ?? target;
  }
  const bookends = Object.values(mapping).includes('end_image');
  return {
    id: profileId,
    label: p.data.label || profileId,
    json: `${JSON.stringify(parsedWorkflow, null, 2)}\n`,
    mapping,
    ...(bookends ? { bookends } : {}),
  };
}

/** Our settings in gemDirect1's shape, on top of `previous` so keys we do not use survive. */
export function exportLocalGenSettings(
  settings: Settings,
  previous: unknown = {},
  workflow?: { id: string; label: string; json: string },
): Record<string, unknown> {
  const ours = SettingsSchema.parse(settings);
  const base = isRecord(previous) ? structuredClone(previous) : {};
  const fv = ours.fastVideo;
  const prevFast = isRecord(base.fastVideo) ? base.fastVideo : {};
  const out: Record<string, unknown> = {
    ...base,
    videoProvider: ours.videoProvider,
    // gemDirect1 has one URL: the server renders go to first (comfyUI.endpoints' first, else comfyUI.url).
    comfyUIUrl: comfyUIEndpoints(ours.comfyUI)[0] ?? ours.comfyUI.url,
    ...(ours.comfyUI.clientId ? { comfyUIClientId: ours.comfyUI.clientId } : {}),
    fastVideo: { ...prevFast, ...Object.fromEntries(LOCALGEN_FASTVIDEO_KEYS.map((k) => [k, fv[k]])) },
  };
  if (workflow) {
    let workflowJson: string;
    try {
      workflowJson = JSON.stringify(JSON.parse(workflow.json));
    } catch (e) {
      throw new StvError(
        'WORKFLOW_INVALID',
        `The workflow "${workflow.label}" is not valid JSON (${(e as Error).message}); nothing was exported.`,
        'Fix or re-export the file named in comfyUI.workflowPath (Workflow → Export (API) in ComfyUI).',
      );
    }
    const profiles = isRecord(base.workflowProfiles) ? base.workflowProfiles : {};
    const prev = isRecord(profiles[workflow.id]) ? profiles[workflow.id] : {};
    const mapping = Object.fromEntries(
      Object.entries(ours.comfyUI.mapping).map(([slot, target]) => [
        slot,
        OUR_MAPPING_NAMES_IN_GEMDIRECT[target] ?? target,
      ]),
    );
    out.workflowProfiles = {
      ...profiles,
      [workflow.id]: {
        ...(prev as Record<string, unknown>),
        id: workflow.id,
        label: workflow.label,
        workflowJson,
        mapping,
      },
    };
    out.videoWorkflowProfile = workflow.id;
  }
  return out;
}
