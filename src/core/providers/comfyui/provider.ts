/**
 * The `comfyui-local` provider: upload the keyframe, fill the workflow, queue it with our
 * client_id, follow /ws for progress (reconnecting and reconciling with /history when the socket
 * drops), fetch the video through /view. Cancel reaches the server: /interrupt for our running
 * prompt, a queue delete for a pending one.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { StvError, isStvError, toStvError } from '../../errors';
import { readImageSize } from '../../timeline/imageSize';
import {
  KEYFRAMES_ELSEWHERE,
  type ImageRequest,
  type ImageResult,
  type ProviderHealth,
  type RenderOptions,
  type RenderRequest,
  type RenderResult,
  type VideoProvider,
} from '../types';
import { endKeyframeWarnings, planWorkflow, type WorkflowPlan } from './bookends';
import { ComfyClient, safeOutputName, type ObjectInfo } from './client';
import { PromptFollower, cancelOnServer } from './follower';
import { MODEL_FOLDERS, fillWorkflow, nodeTypes, type Mapping, type Workflow } from './workflow';
import type { HistoryEntry, SavedFile } from './wire';

export { cancelOnServer } from './follower';

export interface ComfyUIProviderOptions {
  url: string;
  clientId?: string;
  workflow: Workflow;
  mapping: Mapping;
  /** Name shown in messages, e.g. "built-in Wan 2.2 TI2V 5B" or the workflow file. */
  workflowName: string;
  timeoutMs: number;
  /** How often to check /history while the socket is down (and as a safety net while it is up). */
  pollIntervalMs?: number;
  /** How long ComfyUI may stay unreachable during a render before it is reported as gone. */
  serverLostMs?: number;
  /** A line per step of a render (upload, queue, progress, download) with its timing, for a log. */
  log?: (line: string) => void;
  /** Timeout of each HTTP request (upload, queue, history...); 30 s unless a test shortens it. */
  requestTimeoutMs?: number;
  /** The workflow for shots with an end keyframe when `workflow` takes no end image (the built-in bookend one). */
  bookendWorkflow?: WorkflowPlan;
  /** The text-to-image workflow "Generate keyframe" uses (issue 21); without it, renderImage refuses. */
  imageWorkflow?: WorkflowPlan;
}

const VIDEO_EXT = /\.(mp4|m4v|mov|webm|mkv)$/i;
const LOW_VRAM_MB = 1536;

/** The MP4 (or other video) a history entry's outputs name, whichever shape this ComfyUI uses. */
export function pickVideo(entry: HistoryEntry): SavedFile | undefined {
  const candidates: SavedFile[] = [];
  for (const out of Object.values(entry.outputs)) {
    for (const f of out.videos ?? []) candidates.push(f);
    for (const f of out.gifs ?? []) candidates.push(f);
    for (const f of out.images ?? []) if (out.animated?.some(Boolean) || VIDEO_EXT.test(f.filename)) candidates.push(f);
  }
  // Saved outputs first; a preview node's temp file only when nothing was saved. Never inputs.
  const videos = candidates.filter((f) => VIDEO_EXT.test(f.filename) && f.type === 'output');
  const previews = candidates.filter((f) => VIDEO_EXT.test(f.filename) && f.type === 'temp');
  return (
    videos.find((f) => /\.mp4$/i.test(f.filename)) ??
    videos[0] ??
    previews.find((f) => /\.mp4$/i.test(f.filename)) ??
    previews[0]
  );
}

const IMAGE_EXT = /\.(png|jpe?g|webp)$/i;

/** The still image a history entry's outputs name (SaveImage: `images`, not animated); saved outputs before previews. */
export function pickImage(entry: HistoryEntry): SavedFile | undefined {
  const stills: SavedFile[] = [];
  for (const out of Object.values(entry.outputs))
    if (!out.animated?.some(Boolean)) for (const f of out.images ?? []) if (IMAGE_EXT.test(f.filename)) stills.push(f);
  return stills.find((f) => f.type === 'output') ?? stills.find((f) => f.type === 'temp');
}

function comboOptions(spec: unknown): string[] | undefined {
  if (!Array.isArray(spec)) return undefined;
  if (Array.isArray(spec[0])) return spec[0].filter((x): x is string => typeof x === 'string');
  if (spec[0] === 'COMBO' && spec[1] && typeof spec[1] === 'object') {
    const opts = (spec[1] as { options?: unknown }).options;
    return Array.isArray(opts) ? opts.filter((x): x is string => typeof x === 'string') : undefined;
  }
  return undefined;
}

/** Node types and model files the workflow needs that this ComfyUI lacks, named for people. */
export function missingRequirements(workflow: Workflow, mapping: Mapping, info: ObjectInfo): string[] {
  const missingTypes = nodeTypes(workflow).filter((t) => !(t in info));
  const out = missingTypes.map((t) => `node type ${t} (a custom node that is not installed)`);
  for (const [nodeId, node] of Object.entries(workflow)) {
    const folder = MODEL_FOLDERS[node.class_type];
    const spec = info[node.class_type]?.input;
    if (!spec) continue;
    // An input this ComfyUI's node does not have: the workflow was made for another version of it
    // (ComfyUI ignores it, so a mapped value would go nowhere). Only against a spec that lists inputs.
    if (Object.keys({ ...spec.required, ...spec.optional }).length > 0)
      for (const input of Object.keys(node.inputs))
        if (!(input in (spec.required ?? {})) && !(input in (spec.optional ?? {})))
          out.push(
            `input "${input}" of node ${nodeId} (${node.class_type}), which this ComfyUI's ${node.class_type} does not have (made for another version?)`,
          );
    if (!folder) continue;
    for (const [input, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string' || mapping[`${nodeId}:${input}`]) continue;
      const options = comboOptions(spec.required?.[input] ?? spec.optional?.[input]);
      if (options && !options.includes(value))
        out.push(`model file ${value} (node ${nodeId} ${node.class_type}: put it in ComfyUI/${folder})`);
    }
  }
  return out;
}

export class ComfyUIProvider implements VideoProvider {
  readonly id = 'comfyui-local' as const;
  readonly endpoint: string;
  readonly client: ComfyClient;
  /** Sent with every prompt and on /ws; ComfyUI routes the prompt's messages to it. */
  readonly clientId: string;
  private infoCache?: { at: number; info: ObjectInfo };

  constructor(private readonly opts: ComfyUIProviderOptions) {
    this.client = new ComfyClient(opts.url, opts.requestTimeoutMs);
    this.endpoint = this.client.base;
    this.clientId = opts.clientId || `scene-to-video-${randomUUID()}`;
  }

  private async objectInfo(signal?: AbortSignal): Promise<ObjectInfo> {
    if (this.infoCache && Date.now() - this.infoCache.at < 60_000) return this.infoCache.info;
    const info = await this.client.objectInfo(signal);
    this.infoCache = { at: Date.now(), info };
    return info;
  }

  async health(signal?: AbortSignal): Promise<ProviderHealth> {
    const checkedAt = new Date().toISOString();
    const base = {
      provider: this.id,
      endpoint: this.endpoint,
      checkedAt,
      model: this.opts.workflowName,
      followsKeyframe: Object.values(this.opts.mapping).includes('keyframe_image'),
      followsEndKeyframe: !!this.opts.bookendWorkflow || Object.values(this.opts.mapping).includes('end_image'),
    };
    try {
      const stats = await this.client.systemStats(signal);
      const dev = stats.devices[0];
      const gpu = dev
        ? {
            gpuName: dev.name,
            vramFreeMb: Math.round(dev.vram_free / 2 ** 20),
            vramTotalMb: Math.round(dev.vram_total / 2 ** 20),
          }
        : {};
      const gb = (n: number) => (n / 2 ** 30).toFixed(1);
      // With --cpu, /system_stats reports the CPU and RAM in the vram fields.
      const gpuText = !dev
        ? ''
        : dev.type === 'cpu'
          ? ` · CPU only (no GPU), ${gb(dev.vram_free)} of ${gb(dev.vram_total)} GB RAM free`
          : ` · ${dev.name.replace(/^cuda:\d+ /, '')}, ${gb(dev.vram_free)} of ${gb(dev.vram_total)} GB free`;
      const version = stats.system.comfyui_version ? ` ${stats.system.comfyui_version}` : '';
      const missing = missingRequirements(this.opts.workflow, this.opts.mapping, await this.objectInfo(signal));
      // Keyframes have their own workflow: said either way, whether or not the video workflow can run.
      const keyframes = await this.keyframeHealth(signal);
      if (missing.length) {
        const message = `ComfyUI lacks what the ${this.opts.workflowName} workflow needs: ${missing.join('; ')}.`;
        return {
          ...base,
          ...gpu,
          ...keyframes,
          state: 'degraded',
          summary: message,
          error: { code: 'MISSING_NODES', message, hint: 'See docs/comfyui.md for the model files and where they go.' },
        };
      }
      const lowVram = dev && dev.type !== 'cpu' && dev.vram_free / 2 ** 20 < LOW_VRAM_MB;
      // Only shots with an end keyframe need the bookend workflow: what it lacks is said, not degraded.
      const b = this.opts.bookendWorkflow;
      const bookendMissing = b ? missingRequirements(b.workflow, b.mapping, await this.objectInfo(signal)) : [];
      const bookendNote = bookendMissing.length
        ? ` · shots with an end keyframe need the ${b?.workflowName} workflow, which lacks: ${bookendMissing.join('; ')}`
        : '';
      return {
        ...base,
        ...gpu,
        ...keyframes,
        state: lowVram ? 'degraded' : 'ok',
        summary: `ComfyUI${version}${gpuText}${lowVram ? ' (little free VRAM: close other GPU programs)' : ''}${bookendNote}`,
      };
    } catch (e) {
      const err = toStvError(e, 'UNREACHABLE');
      return {
        ...base,
        state: 'down',
        summary: err.message,
        error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
      };
    }
  }

  async render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult> {
    const started = Date.now();
    const { signal } = opts;
    const step = this.stepLog(req.sceneId, started);
    // A named workflow, the built-in bookend one for an end keyframe, or the configured one (bookends.ts).
    const plan = await planWorkflow(req, this.opts, this.opts.bookendWorkflow);
    const needsKeyframe = Object.values(plan.mapping).includes('keyframe_image');
    const endWarnings = endKeyframeWarnings(req, plan);
    opts.onProgress({
      stage: 'uploading',
      fraction: 0,
      ...(endWarnings[0] ? { message: endWarnings[0].message } : {}),
    });
    const { keyframeName, endKeyframeName } = await this.uploadKeyframes(
      req,
      needsKeyframe,
      endWarnings.length === 0,
      signal,
      step,
    );
    const workflow = fillWorkflow(plan.workflow, plan.mapping, {
      request: req,
      keyframeName,
      endKeyframeName,
      filenamePrefix: `scene-to-video/${req.sceneId}`,
    });
    const tuning = {
      pollIntervalMs: this.opts.pollIntervalMs ?? 3000,
      serverLostMs: this.opts.serverLostMs ?? 60_000,
      log: step,
    };
    const run = await this.runWorkflow(workflow, opts, tuning, started, pickVideo, 'video');
    return {
      videoPath: run.dest,
      videoIsTemporary: true,
      seed: req.seed,
      width: req.width,
      height: req.height,
      numFrames: req.numFrames,
      fps: req.fps,
      model: plan.workflowName,
      backend: 'comfyui',
      warnings: [...endWarnings, ...this.warnings(needsKeyframe, req, plan)],
      timings: run.timings,
      server: { comfyui: this.endpoint, promptId: run.promptId, clientId: this.clientId, output: run.file },
    };
  }

  /** One keyframe from the prompt through the image workflow (built-in Wan 2.2 TI2V 5B at one frame, or the user's). */
  async renderImage(req: ImageRequest, opts: RenderOptions): Promise<ImageResult> {
    const started = Date.now();
    const plan = this.opts.imageWorkflow;
    if (!plan) throw new StvError('KEYFRAMES_UNSUPPORTED', 'No ComfyUI image workflow is set up.', KEYFRAMES_ELSEWHERE);
    const step = this.stepLog(req.sceneId, started);
    opts.onProgress({ stage: 'uploading', fraction: 0 });
    const workflow = fillWorkflow(plan.workflow, plan.mapping, {
      request: { ...req, numFrames: 1, fps: 1 },
      filenamePrefix: `scene-to-video/${req.sceneId}/keyframe`,
    });
    const tuning = {
      pollIntervalMs: this.opts.pollIntervalMs ?? 3000,
      serverLostMs: this.opts.serverLostMs ?? 60_000,
      log: step,
    };
    const run = await this.runWorkflow(workflow, opts, tuning, started, pickImage, 'image');
    const size = readImageSize(run.dest);
    return {
      imagePath: run.dest,
      imageIsTemporary: true,
      seed: req.seed,
      width: size?.width ?? req.width,
      height: size?.height ?? req.height,
      model: plan.workflowName,
      backend: 'comfyui',
      workflow: plan.workflowName,
      warnings:
        size && (size.width !== req.width || size.height !== req.height)
          ? [
              {
                code: 'SIZE_CHANGED',
                message: `The ${plan.workflowName} workflow made ${size.width}x${size.height}, not the ${req.width}x${req.height} asked for: map its width and height in comfyUI.imageMapping.`,
              },
            ]
          : [],
      timings: run.timings,
      server: { comfyui: this.endpoint, promptId: run.promptId, clientId: this.clientId, output: run.file },
    };
  }

  /** Queues a filled workflow, follows it to the end and downloads the output `pick` chooses into the scratch folder. */
  private async runWorkflow(
    workflow: Workflow,
    opts: RenderOptions,
    tuning: { pollIntervalMs: number; serverLostMs: number; log: (line: string) => void },
    started: number,
    pick: (entry: HistoryEntry) => SavedFile | undefined,
    kind: 'video' | 'image',
  ): Promise<{ dest: string; file: SavedFile; promptId: string; timings: RenderResult['timings'] }> {
    const { signal } = opts;
    const step = tuning.log;
    const follower = new PromptFollower(this.client, this.wsUrl(), opts, workflow, tuning);
    await follower.connect(); // before queueing, so no message for our prompt is missed
    try {
      if (signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
      const promptId = await this.queue(workflow, step);
      const entry = await follower.follow(promptId, this.opts.timeoutMs - (Date.now() - started));
      step(`prompt ${promptId} done: ${JSON.stringify(follower.timings())}`);
      const file = pick(entry);
      if (!file)
        throw new StvError(
          'BAD_RESPONSE',
          `The workflow finished but saved no ${kind} (outputs: ${Object.keys(entry.outputs).join(', ') || 'none'}).`,
          kind === 'video'
            ? 'The workflow must end in SaveVideo (or another node that saves an MP4).'
            : 'The image workflow must end in SaveImage.',
        );
      safeOutputName(file);
      opts.onProgress({ stage: 'downloading', fraction: 0.99 });
      const dest = path.join(opts.scratchDir, `.stv-comfy-${randomUUID()}${path.extname(file.filename)}`);
      const t0 = Date.now();
      step(`downloading ${file.subfolder ? `${file.subfolder}/` : ''}${file.filename}`);
      await this.client.download(file, dest, signal);
      step(`downloaded in ${Date.now() - t0} ms`);
      const timings = { ...follower.timings(), downloadMs: Date.now() - t0, totalMs: Date.now() - started };
      return { dest, file, promptId, timings };
    } catch (e) {
      step(`ended: ${toStvError(e).code} ${toStvError(e).message}`);
      throw e;
    } finally {
      follower.close();
    }
  }

  /** Whether the image workflow can run here, and if not what it lacks (named like the video workflow's). */
  private async keyframeHealth(
    signal?: AbortSignal,
  ): Promise<Pick<ProviderHealth, 'makesKeyframes' | 'keyframesProblem'>> {
    const plan = this.opts.imageWorkflow;
    if (!plan) return { makesKeyframes: false, keyframesProblem: 'No ComfyUI image workflow is set up.' };
    const missing = missingRequirements(plan.workflow, plan.mapping, await this.objectInfo(signal));
    return missing.length
      ? {
          makesKeyframes: false,
          keyframesProblem: `ComfyUI lacks what the ${plan.workflowName} workflow needs: ${missing.join('; ')}.`,
        }
      : { makesKeyframes: true };
  }

  /**
   * Uploads the keyframe (when the workflow takes one) and then the end keyframe (when the shot
   * has one and nothing warned against it); a keyframe that cannot be read is KEYFRAME_MISSING.
   */
  private async uploadKeyframes(
    req: RenderRequest,
    needsKeyframe: boolean,
    uploadEnd: boolean,
    signal: AbortSignal,
    step: (line: string) => void,
  ): Promise<{ keyframeName: string | undefined; endKeyframeName: string | undefined }> {
    let keyframeName: string | undefined;
    if (needsKeyframe && req.keyframePath) {
      const t = Date.now();
      step(`uploading the keyframe ${req.keyframePath} to ${this.endpoint}`);
      try {
        keyframeName = await this.client.uploadImage(req.keyframePath, signal, req.sceneId);
      } catch (e) {
        step(`upload failed after ${Date.now() - t} ms: ${toStvError(e).message}`);
        if ((e as NodeJS.ErrnoException).code === 'ENOENT')
          throw new StvError(
            'KEYFRAME_MISSING',
            `Cannot read the keyframe ${req.keyframePath}.`,
            'Fix the scene\'s "keyframe" path.',
          );
        throw e;
      }
      step(`uploaded as ${keyframeName} in ${Date.now() - t} ms`);
    }
    let endKeyframeName: string | undefined;
    if (req.endKeyframePath && uploadEnd) {
      const t = Date.now();
      step(`uploading the end keyframe ${req.endKeyframePath} to ${this.endpoint}`);
      try {
        endKeyframeName = await this.client.uploadImage(req.endKeyframePath, signal, `${req.sceneId}-end`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT')
          throw new StvError(
            'KEYFRAME_MISSING',
            `Cannot read the end keyframe ${req.endKeyframePath}.`,
            'Fix the shot\'s "keyframes.end" path.',
          );
        throw e;
      }
      step(`uploaded as ${endKeyframeName} in ${Date.now() - t} ms`);
    }
    return { keyframeName, endKeyframeName };
  }

  /**
   * POST /prompt. Not aborted by the render's signal: once the server may have the prompt,
   * cancelling is the follower's job (delete or interrupt it there), not just dropping the connection.
   */
  private async queue(workflow: Workflow, step: (line: string) => void): Promise<string> {
    const ourId = randomUUID();
    const t = Date.now();
    step(`queueing prompt ${ourId}`);
    try {
      const promptId = await this.client.queuePrompt(workflow, this.clientId, ourId);
      step(`queued prompt ${promptId} in ${Date.now() - t} ms`);
      return promptId;
    } catch (e) {
      if (isStvError(e) && (e.code === 'TIMEOUT' || e.code === 'UNREACHABLE'))
        await cancelOnServer(this.client, ourId).catch(() => undefined);
      throw e;
    }
  }

  private warnings(needsKeyframe: boolean, req: RenderRequest, plan: WorkflowPlan): RenderResult['warnings'] {
    return [
      ...(needsKeyframe || !req.keyframePath
        ? []
        : [
            {
              code: 'KEYFRAME_IGNORED' as const,
              message: `The ${plan.workflowName} workflow has no keyframe input in its mapping: the keyframe was not used.`,
            },
          ]),
      ...(Object.values(plan.mapping).includes('prompt')
        ? []
        : [
            {
              code: 'OTHER' as const,
              message: `The ${plan.workflowName} workflow has no prompt input in its mapping: the prompt was not used.`,
            },
          ]),
    ];
  }

  /** A logger for one render: each line says the scene and the time since the render started. */
  private stepLog(sceneId: string, started: number): (line: string) => void {
    const log = this.opts.log;
    return log ? (line) => log(`comfyui ${sceneId} +${Date.now() - started} ms: ${line}`) : () => undefined;
  }

  private wsUrl(): string {
    const u = new URL(this.endpoint);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = `${u.pathname.replace(/\/$/, '')}/ws`;
    u.search = `clientId=${encodeURIComponent(this.clientId)}`;
    return u.toString();
  }
}
