/**
 * What the scene panel shows, computed without `vscode` so it is unit-tested: a job's progress and
 * error (with the actions that fix it), and the warnings a scene deserves *before* it is rendered
 * (the model will ignore its keyframe, or shrink it). The same facts come back *after* the render
 * as the adapter's result warnings; these only predict them from the provider's health.
 */
import * as path from 'node:path';
import type { ProviderHealth, ProviderId } from '../core/providers/types';
import type { RenderJobSnapshot } from '../core/render/queue';
import { KEYFRAME_FAITHFUL_MODEL } from '../core/settings/schema';
import type { PanelJob, PanelNotice, PanelOutline } from '../protocol/messages';
import { actionsFor } from './errorActions';
import { forExtension } from './setupSteps';

/**
 * FastVideo caps the output area of FastWan 2.2 TI2V 5B when an image is passed (480x832), so a
 * larger scene with a keyframe comes back smaller (python/stv_adapter/model_profiles.py FASTWAN).
 */
export const FASTWAN_IMAGE_MAX_AREA = 480 * 832;

export function toPanelJob(j: RenderJobSnapshot): PanelJob {
  const p = j.progress;
  return {
    jobId: j.jobId,
    state: j.state,
    ...(p
      ? {
          stage: p.stage,
          fraction: Math.min(1, Math.max(0, p.fraction)),
          ...(p.step !== undefined ? { step: p.step } : {}),
          ...(p.totalSteps !== undefined ? { totalSteps: p.totalSteps } : {}),
          ...(p.etaMs ? { etaMs: p.etaMs } : {}),
          ...(p.queuePosition !== undefined ? { queuePosition: p.queuePosition } : {}),
        }
      : {}),
    ...(j.error
      ? {
          error: {
            code: j.error.code,
            message: forExtension(j.error.message),
            ...(j.error.hint ? { hint: forExtension(j.error.hint) } : {}),
            actions: actionsFor(j.error.code, j.providerId),
          },
        }
      : {}),
  };
}

/**
 * Whether the model a provider renders with follows keyframes: its health says so when it answers;
 * for a FastVideo adapter that is down, the model it would be started with decides (the adapter's
 * own rule: FastWan builds ignore the image).
 */
export function followsKeyframe(
  providerId: ProviderId,
  health: ProviderHealth | undefined,
  fastVideoModelId: string,
): boolean | undefined {
  if (health?.followsKeyframe !== undefined && health.state !== 'down') return health.followsKeyframe;
  if (providerId === 'fastvideo-local') return !/fastwan/i.test(fastVideoModelId);
  return health?.followsKeyframe;
}

export interface NoticeInput {
  providerId: ProviderId;
  hasKeyframe: boolean;
  width: number;
  height: number;
  health: ProviderHealth | undefined;
  fastVideoModelId: string;
  /** The shot has an end keyframe (bookends). */
  hasEndKeyframe?: boolean;
}

/** Warnings shown on a scene before it renders, each offering the keyframe-faithful model where that helps. */
export function sceneNotices(s: NoticeInput): PanelNotice[] {
  if (!s.hasKeyframe) return [];
  const endIgnored: PanelNotice[] =
    s.hasEndKeyframe && s.health?.followsEndKeyframe === false
      ? [
          {
            code: 'END_KEYFRAME_IGNORED',
            message: `${s.health.model ?? 'This provider'} takes no end image: the end keyframe will be ignored and the clip starts on the start keyframe only.`,
            offerFaithful: false,
          },
        ]
      : [];
  const follows = followsKeyframe(s.providerId, s.health, s.fastVideoModelId);
  const model =
    s.providerId === 'fastvideo-local'
      ? (s.health?.state !== 'down' && s.health?.model) || s.fastVideoModelId
      : s.health?.model;
  const out: PanelNotice[] = [];
  if (follows === false) {
    if (s.providerId === 'fastvideo-local') {
      out.push({
        code: 'KEYFRAME_IGNORED',
        message: `${model} ignores the keyframe: the clip will follow the prompt only. ${KEYFRAME_FAITHFUL_MODEL} follows it (50 steps, slower).`,
        offerFaithful: true,
      });
      if (s.width * s.height > FASTWAN_IMAGE_MAX_AREA)
        out.push({
          code: 'SIZE_CHANGED',
          message: `With a keyframe, FastVideo renders ${model} at most 480×832 in area, so ${s.width}×${s.height} will come back smaller.`,
          offerFaithful: true,
        });
    } else {
      out.push({
        code: 'KEYFRAME_IGNORED',
        message: `The ${model ?? 'ComfyUI'} workflow has no keyframe input in comfyUI.mapping: the keyframe will not be used.`,
        offerFaithful: false,
      });
    }
  }
  return [...out, ...endIgnored];
}

/** True when `file` is `dir` or inside it (`pathApi` chooses Windows or POSIX rules). */
export function isInside(dir: string, file: string, pathApi: path.PlatformPath = path): boolean {
  const rel = pathApi.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !pathApi.isAbsolute(rel));
}

/**
 * The panel loads files only from the extension and the workspace folders; a timeline opened
 * without a workspace folder around it adds its own folder (its keyframes and renders live
 * there). Returns that extra folder, if any.
 */
export function extraResourceRoot(
  workspaceDirs: string[],
  timelineFile: string | undefined,
  pathApi: path.PlatformPath = path,
): string | undefined {
  if (!timelineFile || workspaceDirs.some((d) => isInside(d, timelineFile, pathApi))) return undefined;
  return pathApi.dirname(timelineFile);
}

/** Failures that say the provider could not render (down, misconfigured, models missing, token). */
const FIXED_WHEN_HEALTHY = new Set([
  'UNREACHABLE',
  'TIMEOUT',
  'ADAPTER_CRASHED',
  'WORKFLOW_INVALID',
  'SETTINGS_INVALID',
  'MISSING_NODES',
  'MODEL_NOT_FOUND',
  'MODEL_LOADING',
  'UNAUTHORIZED',
  'BUSY',
  'WORKSPACE_UNTRUSTED',
]);

/**
 * A failed job whose cause is fixed: its provider was found healthy after it failed. The panel
 * stops showing its error (the scene's renders and Render button stay), so a card never shows an
 * old error next to an "ok" provider.
 */
export function isStaleFailure(
  job: Pick<RenderJobSnapshot, 'state' | 'error' | 'finishedAt'>,
  health: Pick<ProviderHealth, 'state' | 'checkedAt'> | undefined,
): boolean {
  if (job.state !== 'failed' || !job.error || !FIXED_WHEN_HEALTHY.has(job.error.code)) return false;
  return health?.state === 'ok' && !!job.finishedAt && Date.parse(health.checkedAt) > Date.parse(job.finishedAt);
}

/** Strings in the outline within the lengths the webview's schema accepts (a state it rejects would not be drawn). */
export function clampOutline(o: PanelOutline): PanelOutline {
  const clamp = (f: PanelOutline['scenes'][number]['fields']) =>
    Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 4000) : v]));
  return {
    ...(o.version !== undefined ? { version: o.version } : {}),
    scenes: o.scenes.map((sc) => ({
      id: sc.id.slice(0, 200),
      fields: clamp(sc.fields),
      shots: sc.shots.slice(0, 1000).map((sh) => ({ id: sh.id.slice(0, 200), fields: clamp(sh.fields) })),
    })),
  };
}
