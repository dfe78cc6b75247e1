/**
 * The provider contract. The queue, the panel and the CLI only ever talk to a `VideoProvider`;
 * they never branch on the provider id except to pick one.
 */
export const PROVIDER_IDS = ['comfyui-local', 'fastvideo-local'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Provider-neutral description of one clip to render. Each provider maps it to its wire format. */
export interface RenderRequest {
  /** Stable id of the scene; used for output folder names. Already validated as a safe path segment. */
  sceneId: string;
  prompt: string;
  negativePrompt?: string;
  /** The shot's id (timeline version 2), for renders of a scene written with shots; a sub-folder of the scene's. */
  shotId?: string;
  /** Absolute path of the keyframe image on this machine, if the scene has one: the clip's first frame. */
  keyframePath?: string;
  /**
   * Absolute path of the end keyframe (bookends): the clip's last frame. A provider that cannot use
   * it says so with an END_KEYFRAME_IGNORED warning; it never drops it silently.
   */
  endKeyframePath?: string;
  /** A named ComfyUI workflow (timeline version 2) to render with instead of the configured one. */
  workflow?: { name: string; file: string; mapping: Record<string, string> };
  width: number;
  height: number;
  numFrames: number;
  fps: number;
  /** Always concrete: a random seed policy picks one *before* the request is built and records it. */
  seed: number;
  /** Denoising steps; undefined means the model's own default. */
  steps?: number;
  /** Provider-specific model choice (FastVideo model id / profile); undefined = provider default. */
  model?: string;
}

/** The stages a render goes through, in order; the adapter's progress events use the same names. */
export const RENDER_STAGES = [
  'queued',
  'uploading',
  'loading',
  'encoding-prompt',
  'denoising',
  'decoding',
  'encoding',
  'saving',
  'downloading',
  'done',
] as const;
export type RenderStage = (typeof RENDER_STAGES)[number];

/**
 * Codes of non-fatal render warnings: the one list for the provider contract, the panel protocol,
 * the sidecar schema and the adapter (python/stv_adapter uses the same codes; a test checks).
 */
export const WARNING_CODES = [
  'KEYFRAME_IGNORED',
  'END_KEYFRAME_IGNORED',
  'SIZE_CHANGED',
  'SEED_CHANGED',
  'NOT_AI',
  'OTHER',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/**
 * States of a render job, in the extension's queue and in the adapter's job API alike
 * (python/stv_adapter uses the same names; a test checks). The last three are final.
 */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type FinalJobState = Exclude<JobState, 'queued' | 'running'>;
export const FINAL_JOB_STATES: ReadonlySet<JobState> = new Set<FinalJobState>(['succeeded', 'failed', 'cancelled']);

export interface RenderProgress {
  stage: RenderStage;
  /** 0..1 over the whole render, monotonic non-decreasing. */
  fraction: number;
  step?: number;
  totalSteps?: number;
  /** Estimated milliseconds left, when the provider can tell. */
  etaMs?: number;
  message?: string;
  /** Position in the server's queue while stage === 'queued'. */
  queuePosition?: number;
}

/** A non-fatal fact the user should see, e.g. the model ignored the keyframe or changed the size. */
export interface RenderWarning {
  code: WarningCode;
  message: string;
}

export interface RenderTimings {
  queueMs?: number;
  loadMs?: number;
  generateMs?: number;
  encodeMs?: number;
  downloadMs?: number;
  totalMs: number;
}

export interface RenderResult {
  /**
   * A readable local MP4 the provider produced. The render queue copies it atomically into
   * `<outputDir>/<sceneId>/`; the provider must not assume this path survives.
   */
  videoPath: string;
  /** True when `videoPath` is a temporary file the queue may move instead of copy and must delete. */
  videoIsTemporary: boolean;
  seed: number;
  width: number;
  height: number;
  numFrames: number;
  fps: number;
  model?: string;
  backend?: string;
  warnings: RenderWarning[];
  timings: RenderTimings;
  /** Whatever the server said about itself and the job (job/prompt id, versions, ...), kept in the sidecar. */
  server: Record<string, unknown>;
}

export type HealthState = 'ok' | 'degraded' | 'down' | 'checking';

export interface ProviderHealth {
  provider: ProviderId;
  state: HealthState;
  endpoint: string;
  /** One line for the status bar tooltip, e.g. "FastWan2.2-TI2V-5B loaded, 14.2 GB free". */
  summary: string;
  model?: string;
  gpuName?: string;
  vramFreeMb?: number;
  vramTotalMb?: number;
  /** False when the loaded model does not condition on the keyframe (FastWan 5B); undefined if unknown. */
  followsKeyframe?: boolean;
  /** False when an end keyframe (bookends) would be ignored, so END_KEYFRAME_IGNORED is said before a render; undefined if unknown. */
  followsEndKeyframe?: boolean;
  /** True for backends that are not AI at all (the adapter's preview backend). */
  notAi?: boolean;
  /** Where the adapter runs, e.g. "native", "WSL: Ubuntu-24.04", "remote". */
  location?: string;
  queueDepth?: number;
  /** A FastVideo adapter that is the front door of a Ray cluster: its workers and nodes. */
  cluster?: { workers: number; ready: number; busy: number; nodes: number };
  checkedAt: string;
  error?: { code: string; message: string; hint?: string };
  /** Why it is not ok, when it is not (healthProblem() derives it from the error code). */
  problem?: HealthProblem;
  /** Each server of a provider that renders on several (comfyUI.endpoints), in the order listed. */
  servers?: ServerHealth[];
  /** Whether renderImage() can make keyframes here; undefined while unknown (down, checking). */
  makesKeyframes?: boolean;
  /** Why not, in the user's terms, naming what can make keyframes instead (when makesKeyframes is false). */
  keyframesProblem?: string;
}

/** One server of several: its own state, one line about it, and whether it renders a job now. */
export interface ServerHealth {
  endpoint: string;
  state: HealthState;
  summary: string;
  busy: boolean;
  error?: { code: string; message: string; hint?: string };
}

/**
 * Why a provider cannot render, in the user's terms: nothing answers at its address; it answers
 * but this workflow, mapping or setting cannot run there; it answers but models or nodes are
 * missing; it refuses our token. Each has a different fix, so the status bar names it.
 */
export type HealthProblem = 'unreachable' | 'config' | 'models' | 'auth';

const PROBLEM_BY_CODE: Record<string, HealthProblem> = {
  UNREACHABLE: 'unreachable',
  TIMEOUT: 'unreachable',
  ADAPTER_CRASHED: 'unreachable',
  WORKER_LOST: 'unreachable',
  WORKFLOW_INVALID: 'config',
  SETTINGS_INVALID: 'config',
  PROMPT_REJECTED: 'config',
  INVALID_REQUEST: 'config',
  MISSING_NODES: 'models',
  MODEL_NOT_FOUND: 'models',
  UNAUTHORIZED: 'auth',
};

export function healthProblem(h: Pick<ProviderHealth, 'state' | 'error'>): HealthProblem | undefined {
  if (h.state === 'ok' || h.state === 'checking' || !h.error) return undefined;
  return PROBLEM_BY_CODE[h.error.code];
}

export interface RenderOptions {
  signal: AbortSignal;
  onProgress(p: RenderProgress): void;
  /** Folder the provider may use for temporary downloads (same volume as the final output). */
  scratchDir: string;
}

/** The hint of KEYFRAMES_UNSUPPORTED: which providers can draw keyframes (one text for every provider). */
export const KEYFRAMES_ELSEWHERE =
  'Make keyframes with ComfyUI (its built-in Wan 2.2 TI2V 5B text-to-image workflow: "--provider comfyui-local"), or with the FastVideo adapter (a Wan 2.2 TI2V model, or the preview backend for a drawn, not-AI still).';

/** One keyframe image to draw from a prompt (issue 21): a clip's start or end image, at its render size. */
export interface ImageRequest {
  sceneId: string;
  shotId?: string;
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  /** Always concrete, like a render's. */
  seed: number;
  steps?: number;
  model?: string;
}

export interface ImageResult {
  /** A readable local PNG; like RenderResult.videoPath, the caller copies it and must not assume it stays. */
  imagePath: string;
  /** True when `imagePath` is a temporary file the caller may move instead of copy and must delete. */
  imageIsTemporary: boolean;
  seed: number;
  width: number;
  height: number;
  model?: string;
  backend?: string;
  /** The workflow that drew it (ComfyUI), for the sidecar. */
  workflow?: string;
  warnings: RenderWarning[];
  timings: RenderTimings;
  server: Record<string, unknown>;
}

export interface VideoProvider {
  readonly id: ProviderId;
  readonly endpoint: string;
  /**
   * How many renders it takes at once; the queue keeps at most this many of its jobs in flight.
   * Undefined means 1. Several ComfyUI servers take one each (comfyui/pool.ts).
   */
  readonly slots?: number;
  health(signal?: AbortSignal): Promise<ProviderHealth>;
  /** Resolves with the MP4, or rejects with an StvError (code CANCELLED when the signal aborted). */
  render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult>;
  /**
   * Draws one keyframe from the prompt (a PNG at the request's size). Absent on a provider that
   * cannot; one whose current model cannot rejects with KEYFRAMES_UNSUPPORTED, and its health says
   * so beforehand (makesKeyframes, keyframesProblem).
   */
  renderImage?(req: ImageRequest, opts: RenderOptions): Promise<ImageResult>;
  dispose?(): Promise<void>;
}
