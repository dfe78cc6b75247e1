/**
 * gemDirect1's localGenSettings.json, both ways. Import yields VS Code setting updates (flat keys)
 * and, when the file carries a ComfyUI workflow profile, that workflow to save; export writes our
 * values back into the file's shape and keeps every key we do not use.
 */
import { z } from 'zod';
import { StvError } from '../errors';
import type { Settings } from './schema';

const FastVideoBlock = z
  .object({
    endpointUrl: z.string().optional(),
    modelId: z.string().optional(),
    fps: z.number().optional(),
    numFrames: z.number().optional(),
    height: z.number().optional(),
    width: z.number().optional(),
    seed: z.number().optional(),
    outputDir: z.string().optional(),
    attentionBackend: z.string().optional(),
  })
  .loose();
const Profile = z.object({ id: z.string().optional(), label: z.string().optional(), workflowJson: z.string().optional(), mapping: z.record(z.string(), z.string()).optional() }).loose();
export const LocalGenSettingsSchema = z
  .object({
    videoProvider: z.string().optional(),
    comfyUIUrl: z.string().optional(),
    comfyUIClientId: z.string().optional(),
    workflowProfiles: z.record(z.string(), Profile).optional(),
    videoWorkflowProfile: z.string().optional(),
    fastVideo: FastVideoBlock.optional(),
  })
  .loose();

export interface ImportedWorkflow {
  id: string;
  label: string;
  /** The API-format workflow, pretty-printed, ready to save as a file. */
  json: string;
  mapping: Record<string, string>;
}

export interface LocalGenImport {
  /** VS Code setting key → value, e.g. {"comfyUI.url": "http://127.0.0.1:8188"}. */
  updates: Record<string, unknown>;
  workflow?: ImportedWorkflow;
  notes: string[];
}

const FASTVIDEO_KEYS = ['endpointUrl', 'modelId', 'fps', 'numFrames', 'height', 'width', 'seed', 'outputDir', 'attentionBackend'] as const;

export function importLocalGenSettings(raw: unknown): LocalGenImport {
  const r = LocalGenSettingsSchema.safeParse(raw);
  if (!r.success) throw new StvError('SETTINGS_INVALID', 'This is not a gemDirect1 localGenSettings.json (expected an object with videoProvider, comfyUIUrl, fastVideo, ...).', 'Pick the localGenSettings.json that gemDirect1 exported.');
  const s = r.data;
  const updates: Record<string, unknown> = {};
  const notes: string[] = [];
  if (s.videoProvider === 'comfyui-local' || s.videoProvider === 'fastvideo-local') updates['sceneToVideo.videoProvider'] = s.videoProvider;
  else if (s.videoProvider) notes.push(`videoProvider "${s.videoProvider}" is not one Scene to Video renders with; kept the current provider.`);
  if (s.comfyUIUrl) updates['comfyUI.url'] = s.comfyUIUrl;
  if (s.comfyUIClientId) updates['comfyUI.clientId'] = s.comfyUIClientId;
  for (const k of FASTVIDEO_KEYS) if (s.fastVideo?.[k] !== undefined) updates[`fastVideo.${k}`] = s.fastVideo[k];
  let workflow: ImportedWorkflow | undefined;
  const profileId = s.videoWorkflowProfile ?? Object.keys(s.workflowProfiles ?? {})[0];
  const profile = profileId ? s.workflowProfiles?.[profileId] : undefined;
  if (profile?.workflowJson) {
    try {
      workflow = { id: profileId as string, label: profile.label ?? (profileId as string), json: `${JSON.stringify(JSON.parse(profile.workflowJson), null, 2)}\n`, mapping: profile.mapping ?? {} };
      updates['comfyUI.mapping'] = workflow.mapping;
    } catch {
      notes.push(`Workflow profile "${profileId}" holds workflowJson that is not valid JSON; it was not imported.`);
    }
  }
  const others = Object.keys(s.workflowProfiles ?? {}).filter((k) => k !== profileId);
  if (others.length) notes.push(`Only the active workflow profile "${profileId}" was imported; ${others.join(', ')} stay in the file.`);
  return { updates, ...(workflow ? { workflow } : {}), notes };
}

/** Our settings in gemDirect1's shape, on top of `previous` so keys we do not use survive. */
export function exportLocalGenSettings(settings: Settings, previous: unknown = {}, workflow?: { id: string; label: string; json: string }): Record<string, unknown> {
  const base = previous && typeof previous === 'object' && !Array.isArray(previous) ? structuredClone(previous as Record<string, unknown>) : {};
  const fv = settings.fastVideo;
  const prevFast = base.fastVideo && typeof base.fastVideo === 'object' ? (base.fastVideo as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {
    ...base,
    videoProvider: settings.videoProvider,
    comfyUIUrl: settings.comfyUI.url,
    ...(settings.comfyUI.clientId ? { comfyUIClientId: settings.comfyUI.clientId } : {}),
    fastVideo: { ...prevFast, endpointUrl: fv.endpointUrl, modelId: fv.modelId, fps: fv.fps, numFrames: fv.numFrames, height: fv.height, width: fv.width, seed: fv.seed, outputDir: fv.outputDir, attentionBackend: fv.attentionBackend },
  };
  if (workflow) {
    const profiles = base.workflowProfiles && typeof base.workflowProfiles === 'object' ? (base.workflowProfiles as Record<string, unknown>) : {};
    const prev = profiles[workflow.id] && typeof profiles[workflow.id] === 'object' ? (profiles[workflow.id] as Record<string, unknown>) : {};
    out.workflowProfiles = { ...profiles, [workflow.id]: { ...prev, id: workflow.id, label: workflow.label, workflowJson: JSON.stringify(JSON.parse(workflow.json)), mapping: settings.comfyUI.mapping } };
    out.videoWorkflowProfile = workflow.id;
  }
  return out;
}
