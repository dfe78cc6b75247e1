/**
 * Messages between the extension and the scene panel, validated with zod on both sides: the
 * webview is a browser page, so anything it posts is untrusted input, and the webview checks what
 * it receives (and what it restores from getState, which may come from an older version) before
 * drawing it. Imported by both bundles, so it must not import 'vscode' or Node modules.
 */
import { z } from 'zod';
import { JOB_STATES, PROVIDER_IDS, WARNING_CODES } from '../core/providers/types';
import { EDITABLE_FIELDS } from '../core/timeline/editableFields';

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
  // Run on the editor's own timeline (the extension passes its file).
  'sceneToVideo.assembleTimeline',
] as const;

/**
 * A scene, or a shot of it, in the timeline editor: by position and by the ids the webview saw
 * there (the extension refuses an edit whose ids no longer match, instead of editing another item).
 * Ids are free text here: a scene the user is still naming may have an invalid one.
 */
export const ItemRefSchema = z.object({
  scene: z.int().min(0).max(10_000),
  sceneId: Text(200),
  shot: z.int().min(0).max(1000).optional(),
  shotId: Text(200).optional(),
});
export type ItemRefMessage = z.infer<typeof ItemRefSchema>;
export const KEYFRAME_ENDS = ['start', 'end'] as const;
/** A keyframe dropped as bytes (from the desktop, without a path) is at most this large. */
export const MAX_DROPPED_KEYFRAME_BASE64 = 24 * 1024 * 1024;

/** What the timeline editor asks of the text document: each becomes one WorkspaceEdit. */
const EditorIntents = [
  z.object({
    type: z.literal('edit'),
    item: ItemRefSchema,
    field: z.enum(EDITABLE_FIELDS),
    value: z.union([Text(4000), z.number(), z.null()]),
  }),
  z.object({ type: z.literal('addScene'), after: ItemRefSchema.optional() }),
  /** A shot after `item` (a shot), or at the end of `item` (a scene). */
  z.object({ type: z.literal('addShot'), item: ItemRefSchema }),
  z.object({ type: z.literal('duplicate'), item: ItemRefSchema }),
  z.object({ type: z.literal('delete'), item: ItemRefSchema }),
  z.object({ type: z.literal('move'), item: ItemRefSchema, to: z.int().min(0).max(10_000) }),
  z.object({
    type: z.literal('dropKeyframe'),
    item: ItemRefSchema,
    which: z.enum(KEYFRAME_ENDS),
    uri: z.string().min(1).max(8192),
  }),
  z.object({
    type: z.literal('dropKeyframeBytes'),
    item: ItemRefSchema,
    which: z.enum(KEYFRAME_ENDS),
    name: Text(255),
    base64: z.string().max(MAX_DROPPED_KEYFRAME_BASE64),
  }),
  /** The keyboard's way to a keyframe: the extension asks for an image file, then sets it as a drop would. */
  z.object({ type: z.literal('chooseKeyframe'), item: ItemRefSchema, which: z.enum(KEYFRAME_ENDS) }),
  // "Generate…": variants of this keyframe drawn from the clip's prompt (issue 21), in their own view.
  z.object({ type: z.literal('generateKeyframe'), item: ItemRefSchema, which: z.enum(KEYFRAME_ENDS) }),
  /** An empty (or not yet a timeline) document: write the starter timeline into it. */
  z.object({ type: z.literal('startTimeline') }),
  /** Open the document's text beside the editor. */
  z.object({ type: z.literal('showText') }),
] as const;

export const WebviewToExtensionSchema = z.discriminatedUnion('type', [
  ...EditorIntents,
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

/** A warning a render's sidecar records (the size it got instead of the one asked for, ...). */
const RenderWarningSchema = z.object({ code: WarningCode, message: Text(2000) });

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
});
export type PanelScene = z.infer<typeof PanelSceneSchema>;

const OutlineFields = z.object({
  title: z.union([Text(4000), z.number()]).optional(),
  prompt: z.union([Text(20_000), z.number()]).optional(),
  negativePrompt: z.union([Text(20_000), z.number()]).optional(),
  seconds: z.union([Text(100), z.number()]).optional(),
  frames: z.union([Text(100), z.number()]).optional(),
  seed: z.union([Text(100), z.number()]).optional(),
  width: z.union([Text(100), z.number()]).optional(),
  height: z.union([Text(100), z.number()]).optional(),
  provider: z.union([Text(100), z.number()]).optional(),
  model: z.union([Text(500), z.number()]).optional(),
  /** Keyframe paths as written (relative to the timeline) and, when the file is there, the webview's URI. */
  start: Text(1024).optional(),
  end: Text(1024).optional(),
  startUri: Text(8192).optional(),
  endUri: Text(8192).optional(),
});
export type OutlineFields = z.infer<typeof OutlineFields>;

/** The timeline's structure as written (not as validated), so the editor keeps it while a value is invalid. */
export const OutlineSchema = z.object({
  version: z.number().optional(),
  scenes: z.array(
    z.object({
      id: Text(200),
      fields: OutlineFields,
      shots: z.array(z.object({ id: Text(200), fields: OutlineFields })).max(1000),
    }),
  ),
});
export type PanelOutline = z.infer<typeof OutlineSchema>;

/** Which providers a scene or shot may name (the editor's provider menu). */
export const EDITOR_PROVIDERS = PROVIDER_IDS;

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
    /** False when the user never picked it (the default): a provider that does not answer is "not set up". */
    chosen: z.boolean().optional(),
  }),
  scenes: z.array(PanelSceneSchema),
  /**
   * The timeline editor only: the document's outline (absent while its text is not JSON), and
   * whether it is a timeline the editor can change (false: a syntax error; the text is never overwritten).
   */
  outline: OutlineSchema.optional(),
  editable: z.boolean().optional(),
  /** The editor's document is empty: it offers to start a timeline instead of showing problems. */
  empty: z.boolean().optional(),
});
export type PanelState = z.infer<typeof PanelStateSchema>;

export const ExtensionToWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: PanelStateSchema }),
  z.object({ type: z.literal('job'), sceneId: SceneId, job: PanelJobSchema }),
  /** The timeline editor's edit is in the document (its state follows once the typing pauses). */
  z.object({ type: z.literal('edited') }),
]);
export type ExtensionToWebview = z.infer<typeof ExtensionToWebviewSchema>;

export { offersFaithful } from './faithful';

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
  /** What it is, from its sidecar: size, length and rate. */
  width: z.number().optional(),
  height: z.number().optional(),
  numFrames: z.number().optional(),
  fps: z.number().optional(),
  /** What went differently than asked (its own card shows them, with the keyframe-faithful model where that helps). */
  warnings: z.array(RenderWarningSchema).max(20).optional(),
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
