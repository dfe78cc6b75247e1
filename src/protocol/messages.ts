/**
 * Messages between the extension and the scene panel, validated with zod on both sides: the
 * webview is a browser page, so anything it posts is untrusted input, and the webview checks what
 * it receives (and what it restores from getState, which may come from an older version) before
 * drawing it. Imported by both bundles, so it must not import 'vscode' or Node modules.
 */
import { z } from 'zod';
import { JOB_STATES, WARNING_CODES } from '../core/providers/types';

// A scene id, or "scene/shot" for one shot of a scene written with shots (timeline version 2).
const SceneId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$/);
const Text = (max: number) => z.string().max(max);

/** Buttons an error offers; the extension runs the same handler for a notification and the panel. */
export const ERROR_ACTIONS = [
  'Start adapter',
  'Restart adapter',
  'Open settings',
  'Show log',
  'Switch provider',
  'Set token',
  'Troubleshooting',
  'Manage trust',
] as const;
export const ErrorActionSchema = z.enum(ERROR_ACTIONS);
export type ErrorAction = z.infer<typeof ErrorActionSchema>;

/** Commands the panel may run directly; anything else is refused. */
export const PANEL_COMMANDS = [
  'sceneToVideo.startAdapter',
  'sceneToVideo.switchProvider',
  'sceneToVideo.showLog',
  'sceneToVideo.checkHealth',
  'sceneToVideo.setAdapterToken',
  'sceneToVideo.newTimeline',
] as const;

export const WebviewToExtensionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('render'), sceneId: SceneId, seed: z.int().min(0).max(4_294_967_295).optional() }),
  z.object({ type: z.literal('renderAll') }),
  z.object({ type: z.literal('cancel'), jobId: z.uuid() }),
  z.object({ type: z.literal('cancelAll') }),
  z.object({ type: z.literal('open'), videoPath: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('reveal'), videoPath: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('useKeyframeFaithfulModel') }),
  z.object({ type: z.literal('runCommand'), command: z.enum(PANEL_COMMANDS) }),
  // An action offered by an error shown in the panel; `code` picks the troubleshooting section.
  z.object({
    type: z.literal('errorAction'),
    action: ErrorActionSchema,
    code: z.string().regex(/^[A-Z][A-Z0-9_]{0,39}$/),
  }),
]);
export type WebviewToExtension = z.infer<typeof WebviewToExtensionSchema>;

const WarningCode = z.enum(WARNING_CODES);

export const PanelRenderSchema = z.object({
  videoPath: Text(4096),
  videoUri: Text(8192),
  createdAt: Text(64),
  seed: z.number(),
  providerId: Text(64),
  width: z.number(),
  height: z.number(),
  numFrames: z.number(),
  fps: z.number(),
  model: Text(512).optional(),
  /** The adapter backend that made it (preview, fastvideo), from its sidecar. */
  backend: Text(64).optional(),
  warnings: z.array(z.object({ code: WarningCode, message: Text(2000) })),
});
export type PanelRender = z.infer<typeof PanelRenderSchema>;

export const PanelJobSchema = z.object({
  jobId: Text(64),
  state: z.enum(JOB_STATES),
  stage: Text(32).optional(),
  fraction: z.number().min(0).max(1).optional(),
  step: z.number().optional(),
  totalSteps: z.number().optional(),
  etaMs: z.number().min(0).optional(),
  queuePosition: z.number().optional(),
  error: z
    .object({
      code: Text(64),
      message: Text(4000),
      hint: Text(4000).optional(),
      actions: z.array(ErrorActionSchema).default([]),
    })
    .optional(),
});
export type PanelJob = z.infer<typeof PanelJobSchema>;

/** Something the user should know before rendering a scene (the model will ignore its keyframe, ...). */
export const PanelNoticeSchema = z.object({
  code: WarningCode,
  message: Text(2000),
  /** True when switching to the keyframe-faithful model avoids it. */
  offerFaithful: z.boolean(),
});
export type PanelNotice = z.infer<typeof PanelNoticeSchema>;

export const PanelSceneSchema = z.object({
  id: SceneId,
  title: Text(500),
  prompt: Text(20_000),
  negativePrompt: Text(20_000).optional(),
  keyframeUri: Text(8192).optional(),
  /** Timeline version 2: the shot's scene and its own id (`id` is then "scene/shot"), and its end keyframe. */
  sceneId: SceneId.optional(),
  shotId: SceneId.optional(),
  endKeyframeUri: Text(8192).optional(),
  width: z.number(),
  height: z.number(),
  numFrames: z.number(),
  fps: z.number(),
  seed: z.union([z.number(), z.literal('random')]),
  /** The provider this scene renders with (the scene's own, else the active one). */
  providerId: Text(64),
  notices: z.array(PanelNoticeSchema).default([]),
  job: PanelJobSchema.optional(),
  renders: z.array(PanelRenderSchema),
});
export type PanelScene = z.infer<typeof PanelSceneSchema>;

export const PanelStateSchema = z.object({
  timelineFile: Text(4096).optional(),
  title: Text(500).optional(),
  problems: z.array(Text(2000)),
  provider: z.object({
    id: Text(64),
    state: Text(16),
    summary: Text(2000),
    followsKeyframe: z.boolean().optional(),
    notAi: z.boolean().optional(),
    model: Text(512).optional(),
  }),
  scenes: z.array(PanelSceneSchema),
});
export type PanelState = z.infer<typeof PanelStateSchema>;

export const ExtensionToWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: PanelStateSchema }),
  z.object({ type: z.literal('job'), sceneId: SceneId, job: PanelJobSchema }),
]);
export type ExtensionToWebview = z.infer<typeof ExtensionToWebviewSchema>;

/** Render warnings after which the panel offers the keyframe-faithful model. */
export function offersFaithful(code: string, providerId: string): boolean {
  return providerId === 'fastvideo-local' && (code === 'KEYFRAME_IGNORED' || code === 'SIZE_CHANGED');
}

// ---- The takes strip and the assembly (issue 19). Their own messages, posted beside the panel's
// state, so the takes view (src/vscode/takesView.ts, webview/takes.ts) stays apart from the panel. ----

/** One take of a clip: a finished render (or a chosen file without a sidecar, whose details are unknown). */
export const PanelTakeSchema = z.object({
  videoPath: Text(4096),
  videoUri: Text(8192),
  /** As the timeline records it: relative to the timeline file. */
  rel: Text(4096),
  createdAt: Text(64).optional(),
  seed: z.number().optional(),
  providerId: Text(64).optional(),
  model: Text(512).optional(),
  backend: Text(64).optional(),
  /** How long the render took, from its sidecar. */
  renderMs: z.number().min(0).optional(),
});
export type PanelTake = z.infer<typeof PanelTakeSchema>;

export const PanelClipTakesSchema = z.object({
  /** The clip's key: a scene id, or "scene/shot" (the same id the panel's scene cards use). */
  clipId: SceneId,
  title: Text(500),
  /** Newest first; at most a screenful (the newest 12, plus the chosen one when it is older). */
  takes: z.array(PanelTakeSchema),
  /** The take that counts: the chosen one, else the newest. */
  chosen: Text(4096).optional(),
  chosenExplicitly: z.boolean(),
  /** The `take` the timeline names whose file is gone. */
  missing: Text(4096).optional(),
  /** False for the first clip: there is nothing to continue from. */
  canContinue: z.boolean(),
  continuity: z.boolean(),
  /** The take of the previous clip whose last frame this clip starts on. */
  continuityFrom: Text(4096).optional(),
  /** Why the continuity keyframe no longer matches the previous clip's choice. */
  outOfDate: Text(2000).optional(),
});
export type PanelClipTakes = z.infer<typeof PanelClipTakesSchema>;

export const ASSEMBLY_STATES = ['idle', 'running', 'done', 'failed', 'cancelled'] as const;
export const PanelAssemblySchema = z.object({
  state: z.enum(ASSEMBLY_STATES),
  fraction: z.number().min(0).max(1).optional(),
  /** The film, once assembled (workspace-relative for display; the host opens it). */
  film: Text(4096).optional(),
  message: Text(4000).optional(),
});
export type PanelAssembly = z.infer<typeof PanelAssemblySchema>;

export const TakesStateSchema = z.object({
  clips: z.array(PanelClipTakesSchema),
  assembly: PanelAssemblySchema,
  /** Why nothing can be assembled or chosen right now (the timeline does not load, ...). */
  problem: Text(2000).optional(),
});
export type TakesState = z.infer<typeof TakesStateSchema>;

export const TakesToWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('takes'), takes: TakesStateSchema }),
  z.object({ type: z.literal('assembly'), assembly: PanelAssemblySchema }),
]);
export type TakesToWebview = z.infer<typeof TakesToWebviewSchema>;

export const TakesToExtensionSchema = z.discriminatedUnion('type', [
  // The host accepts only a take it listed for that clip.
  z.object({ type: z.literal('chooseTake'), clipId: SceneId, videoPath: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('setContinuity'), clipId: SceneId, on: z.boolean() }),
  z.object({ type: z.literal('assemble') }),
  z.object({ type: z.literal('cancelAssemble') }),
  z.object({ type: z.literal('openFilm') }),
]);
export type TakesToExtension = z.infer<typeof TakesToExtensionSchema>;
