/** The adapter's wire format (docs/adapter-api.md), parsed at the boundary. */
import { z } from 'zod';
import { JOB_STATES } from '../types';

export const ErrorBodySchema = z.object({ code: z.string(), message: z.string(), hint: z.string().nullish() });
export const ErrorResponseSchema = z.object({ error: ErrorBodySchema });

export const ProgressSchema = z.object({
  stage: z.string(),
  fraction: z.number().min(0).max(1),
  step: z.number().nullish(),
  totalSteps: z.number().nullish(),
  etaMs: z.number().nullish(),
  message: z.string().nullish(),
  queuePosition: z.number().nullish(),
});

export const WarningSchema = z.object({ code: z.string(), message: z.string() });

export const GenerateResultSchema = z.object({
  jobId: z.string(),
  /** What the job made; an adapter from before image jobs sends none (a video). */
  output: z.enum(['video', 'image']).optional(),
  outputVideoPath: z.string().nullish(),
  outputImagePath: z.string().nullish(),
  sidecarPath: z.string(),
  frames: z.number(),
  fps: z.number(),
  width: z.number(),
  height: z.number(),
  durationMs: z.number(),
  seed: z.number(),
  modelId: z.string(),
  backend: z.string(),
  warnings: z.array(WarningSchema),
  timings: z.object({
    queueMs: z.number(),
    loadMs: z.number(),
    generateMs: z.number(),
    encodeMs: z.number(),
    totalMs: z.number(),
  }),
});

export const JobSchema = z.object({
  jobId: z.string(),
  status: z.enum(JOB_STATES),
  progress: ProgressSchema,
  queuePosition: z.number().nullish(),
  createdAt: z.string(),
  startedAt: z.string().nullish(),
  finishedAt: z.string().nullish(),
  result: GenerateResultSchema.nullish(),
  error: ErrorBodySchema.nullish(),
  forced: z.boolean().optional(),
});

export const JobAcceptedSchema = z.object({
  jobId: z.string(),
  status: z.literal('queued'),
  queuePosition: z.number(),
});

export const HealthSchema = z.object({
  status: z.enum(['ok', 'loading', 'error']),
  backend: z.enum(['fastvideo', 'preview']),
  isAi: z.boolean(),
  modelId: z.string(),
  modelProfile: z.string(),
  modelLoaded: z.boolean(),
  followsKeyframe: z.boolean(),
  /** Absent from adapters older than image jobs: they cannot make keyframes. */
  makesKeyframes: z.boolean().optional(),
  keyframesProblem: z.string().nullish(),
  attentionBackend: z.string().nullish(),
  device: z.string(),
  gpu: z.object({ name: z.string(), memoryFreeMb: z.number(), memoryTotalMb: z.number() }).nullish(),
  memory: z.object({ rssMb: z.number() }),
  queueDepth: z.number(),
  maxQueue: z.number(),
  runningJobId: z.string().nullish(),
  version: z.string(),
  outputRoot: z.string().nullish(),
  error: ErrorBodySchema.nullish(),
  // Only on a front door of a Ray cluster (serve --cluster ray); the tooltip shows the counts.
  cluster: z
    .object({
      nodes: z.array(z.object({ alive: z.boolean() })),
      workers: z.array(z.object({ name: z.string(), state: z.string() })),
      workersReady: z.number(),
      workersBusy: z.number(),
    })
    .nullish(),
});

export type AdapterJob = z.infer<typeof JobSchema>;
export type AdapterResult = z.infer<typeof GenerateResultSchema>;
export type AdapterHealth = z.infer<typeof HealthSchema>;
export type AdapterProgress = z.infer<typeof ProgressSchema>;

/** What the extension sends to POST /jobs. */
export interface GenerateBody {
  prompt: string;
  negativePrompt?: string;
  keyframeBase64?: string;
  /** The end keyframe (bookends); the adapter warns END_KEYFRAME_IGNORED where the model takes none. */
  endKeyframeBase64?: string;
  width: number;
  height: number;
  /** Absent from an image job (output: image), which has one frame. */
  numFrames?: number;
  fps?: number;
  seed: number;
  steps?: number;
  sceneId?: string;
  outputDir?: string;
  /** 'image': one PNG drawn from the prompt (numFrames and fps unused), served at /jobs/{id}/image. */
  output?: 'video' | 'image';
}
