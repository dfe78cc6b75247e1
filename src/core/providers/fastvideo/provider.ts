/** The `fastvideo-local` provider: renders through the adapter's job API with live progress. */
import { access, stat } from 'node:fs/promises';
import { readKeyframeImage } from '../../keyframeImage';
import { constants } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ERROR_CODES, StvError, toStvError } from '../../errors';
import { isErrorCode, parseJson } from '../../http';
import { isLoopbackUrl } from '../../net/loopback';
import {
  FINAL_JOB_STATES,
  KEYFRAMES_ELSEWHERE,
  RENDER_STAGES,
  WARNING_CODES,
  type ImageRequest,
  type ImageResult,
  type ProviderHealth,
  type RenderOptions,
  type RenderProgress,
  type RenderRequest,
  type RenderResult,
  type RenderStage,
  type RenderWarning,
  type VideoProvider,
} from '../types';
import { AdapterClient } from './client';
import {
  ProgressSchema,
  JobSchema,
  type AdapterJob,
  type AdapterProgress,
  type AdapterResult,
  type GenerateBody,
} from './wire';

export interface FastVideoProviderOptions {
  endpoint: string;
  token?: string;
  /** Where the adapter runs, for the status bar ("native", "WSL2: Ubuntu", "remote"). */
  location?: string;
  requestTimeoutMs?: number;
  /**
   * How long one render may take from submit to result (fastVideo.requestTimeoutSeconds); past it
   * the job is cancelled on the adapter and the render fails with TIMEOUT. Undefined: no limit.
   */
  renderTimeoutMs?: number;
  /** Reconnect attempts for the progress stream before falling back to polling. */
  sseRetries?: number;
  pollIntervalMs?: number;
  /**
   * 'always' downloads the MP4 over HTTP even from a loopback endpoint: for an adapter reached
   * through a tunnel or port forward, whose paths name files on another machine.
   */
  fetchVideo?: 'auto' | 'always';
}

const STAGES: ReadonlySet<string> = new Set(RENDER_STAGES);
// A code the adapter sends that this extension does not know yet is shown as OTHER.
const KNOWN_WARNINGS: ReadonlySet<string> = new Set(WARNING_CODES.filter((c) => c !== 'OTHER'));

/** A keyframe's bytes for the adapter, checked as an image within the render's bounds first. */
async function keyframeBase64Of(
  file: string,
  render: { width: number; height: number },
  what: string,
  field: string,
): Promise<string> {
  try {
    return (await readKeyframeImage(file, render)).toString('base64');
  } catch (e) {
    if (e instanceof StvError) throw e; // not an image, or out of bounds: said as such
    throw new StvError(
      'KEYFRAME_MISSING',
      `Cannot read the ${what} ${file}: ${(e as Error).message}`,
      `Fix ${field} (relative to the timeline file).`,
    );
  }
}

function toProgress(p: AdapterProgress): RenderProgress {
  return {
    stage: (STAGES.has(p.stage) ? p.stage : 'denoising') as RenderStage,
    fraction: p.fraction,
    ...(p.step != null ? { step: p.step } : {}),
    ...(p.totalSteps != null ? { totalSteps: p.totalSteps } : {}),
    ...(p.etaMs != null ? { etaMs: p.etaMs } : {}),
    ...(p.message ? { message: p.message } : {}),
    ...(p.queuePosition != null ? { queuePosition: p.queuePosition } : {}),
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class FastVideoProvider implements VideoProvider {
  readonly id = 'fastvideo-local' as const;
  readonly endpoint: string;
  readonly client: AdapterClient;
  constructor(private readonly opts: FastVideoProviderOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.client = new AdapterClient({
      endpoint: this.endpoint,
      token: opts.token,
      requestTimeoutMs: opts.requestTimeoutMs,
    });
  }

  async health(signal?: AbortSignal): Promise<ProviderHealth> {
    const checkedAt = new Date().toISOString();
    const base = {
      provider: this.id,
      endpoint: this.endpoint,
      checkedAt,
      ...(this.opts.location ? { location: this.opts.location } : {}),
    };
    try {
      const h = await this.client.health(signal);
      const model = h.modelId.split('/').pop() ?? h.modelId;
      const gpu = h.gpu
        ? `${h.gpu.name}, ${(h.gpu.memoryFreeMb / 1024).toFixed(1)} of ${(h.gpu.memoryTotalMb / 1024).toFixed(1)} GB free`
        : undefined;
      const state = h.status === 'ok' ? 'ok' : h.status === 'loading' ? 'degraded' : 'down';
      const summary =
        h.status === 'error'
          ? `adapter up, model unavailable: ${h.error?.message ?? 'unknown error'}`
          : h.backend === 'preview'
            ? 'preview backend (not AI: animates the keyframe)'
            : `${model} ${h.status === 'loading' ? 'loading…' : 'loaded'}${gpu ? ` · ${gpu}` : ''}`;
      return {
        ...base,
        state,
        summary,
        model: h.modelId,
        ...(h.gpu ? { gpuName: h.gpu.name, vramFreeMb: h.gpu.memoryFreeMb, vramTotalMb: h.gpu.memoryTotalMb } : {}),
        followsKeyframe: h.followsKeyframe,
        // The preview backend dissolves to the end keyframe; FastVideo 0.2.1's Wan 2.2 TI2V pipelines take none.
        followsEndKeyframe: h.backend === 'preview',
        makesKeyframes: h.makesKeyframes ?? false,
        ...(h.makesKeyframes
          ? {}
          : {
              keyframesProblem:
                h.keyframesProblem ?? `This adapter (version ${h.version}) predates keyframes from prompts: update it.`,
            }),
        notAi: !h.isAi,
        queueDepth: h.queueDepth,
        ...(h.cluster
          ? {
              cluster: {
                workers: h.cluster.workers.length,
                ready: h.cluster.workersReady,
                busy: h.cluster.workersBusy,
                nodes: h.cluster.nodes.filter((n) => n.alive).length,
              },
            }
          : {}),
        ...(h.error
          ? { error: { code: h.error.code, message: h.error.message, ...(h.error.hint ? { hint: h.error.hint } : {}) } }
          : {}),
      };
    } catch (e) {
      const err = toStvError(e, 'UNREACHABLE');
      // A token adapter without our token is up (so nothing starts another on its port), just not usable.
      const state = err.code === 'UNAUTHORIZED' ? 'degraded' : 'down';
      return {
        ...base,
        state,
        summary: err.message,
        error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
      };
    }
  }

  async render(req: RenderRequest, userOpts: RenderOptions): Promise<RenderResult> {
    const started = Date.now();
    const body = await this.buildBody(req);
    // Said before the render starts (the adapter's result repeats it, so it reaches the sidecar too).
    const endNotice = req.endKeyframePath ? await this.endKeyframeNotice(userOpts.signal) : undefined;
    return this.runJob(body, userOpts, endNotice, async (r, jobId, opts) => {
      if (!r.outputVideoPath)
        throw new StvError('BAD_RESPONSE', `${this.client.what} finished the render without a video.`);
      const video = await this.localFile(jobId, r.outputVideoPath, opts, 'video');
      return {
        videoPath: video.path,
        videoIsTemporary: video.temporary,
        seed: r.seed,
        width: r.width,
        height: r.height,
        numFrames: r.frames,
        fps: r.fps,
        model: r.modelId,
        backend: r.backend,
        warnings: [...this.warningsOf(r), ...(r.backend === 'preview' ? [] : this.modelWarning(req, r.modelId))],
        timings: this.timingsOf(r, started, video.downloadMs),
        server: {
          adapter: this.endpoint,
          jobId,
          adapterOutputPath: r.outputVideoPath,
          adapterSidecarPath: r.sidecarPath,
        },
      };
    });
  }

  /** One keyframe drawn from the prompt: an image job (output: image) on the adapter. */
  async renderImage(req: ImageRequest, userOpts: RenderOptions): Promise<ImageResult> {
    const started = Date.now();
    const h = await this.health(userOpts.signal);
    if (h.makesKeyframes === false)
      throw new StvError(
        'KEYFRAMES_UNSUPPORTED',
        h.keyframesProblem ?? `${this.client.what} cannot make keyframes.`,
        KEYFRAMES_ELSEWHERE,
      );
    const body: GenerateBody = {
      prompt: req.prompt,
      ...(req.negativePrompt ? { negativePrompt: req.negativePrompt } : {}),
      width: req.width,
      height: req.height,
      seed: req.seed,
      ...(req.steps !== undefined ? { steps: req.steps } : {}),
      sceneId: req.sceneId,
      outputDir: req.shotId ? `${req.sceneId}/${req.shotId}/keyframes` : `${req.sceneId}/keyframes`,
      output: 'image',
    };
    return this.runJob(body, userOpts, undefined, async (r, jobId, opts) => {
      if (!r.outputImagePath)
        throw new StvError('BAD_RESPONSE', `${this.client.what} finished the image job without an image.`);
      const image = await this.localFile(jobId, r.outputImagePath, opts, 'image');
      return {
        imagePath: image.path,
        imageIsTemporary: image.temporary,
        seed: r.seed,
        width: r.width,
        height: r.height,
        model: r.modelId,
        backend: r.backend,
        warnings: this.warningsOf(r),
        timings: this.timingsOf(r, started, image.downloadMs),
        server: { adapter: this.endpoint, jobId, adapterOutputPath: r.outputImagePath },
      };
    });
  }

  private warningsOf(r: AdapterResult): RenderWarning[] {
    return r.warnings.map((w): RenderWarning => ({
      code: (KNOWN_WARNINGS.has(w.code) ? w.code : 'OTHER') as RenderWarning['code'],
      message: w.message,
    }));
  }

  private timingsOf(r: AdapterResult, started: number, downloadMs: number | undefined): RenderResult['timings'] {
    return {
      queueMs: r.timings.queueMs,
      loadMs: r.timings.loadMs,
      generateMs: r.timings.generateMs,
      encodeMs: r.timings.encodeMs,
      ...(downloadMs !== undefined ? { downloadMs } : {}),
      totalMs: Date.now() - started,
    };
  }

  /**
   * Submits one job, follows it to the end and hands its result to `finish`; a cancel or the
   * deadline (fastVideo.requestTimeoutSeconds) stops the job on the adapter, not just here.
   */
  private async runJob<T>(
    body: GenerateBody,
    userOpts: RenderOptions,
    firstMessage: string | undefined,
    finish: (r: AdapterResult, jobId: string, opts: RenderOptions) => Promise<T>,
  ): Promise<T> {
    if (userOpts.signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
    // The user's cancel and the render deadline both stop the job; only the reason differs.
    const deadline = this.opts.renderTimeoutMs ? AbortSignal.timeout(this.opts.renderTimeoutMs) : undefined;
    const signal = deadline ? AbortSignal.any([userOpts.signal, deadline]) : userOpts.signal;
    const opts: RenderOptions = { ...userOpts, signal };
    opts.onProgress({ stage: 'uploading', fraction: 0, ...(firstMessage ? { message: firstMessage } : {}) });
    // Not cancellable by the signal: a POST aborted in flight may still have queued the job on the
    // adapter, and then nobody would know its id to cancel it. Submitting is quick; a cancel
    // during it is honoured right after, on the server.
    const jobId = await this.client.submit(body);
    // From here on, a cancel must reach the adapter: the GPU stops, not just this client.
    let cancelSent: Promise<unknown> | undefined;
    const onAbort = () => {
      cancelSent = this.client.cancel(jobId).catch(() => undefined);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timedOut = () => !userOpts.signal.aborted && !!deadline?.aborted;
    const timeoutError = () =>
      new StvError(
        'TIMEOUT',
        `The render took longer than ${Math.round((this.opts.renderTimeoutMs ?? 0) / 1000)} s and was cancelled on the adapter.`,
        'Raise fastVideo.requestTimeoutSeconds, or render fewer frames or a smaller size.',
      );
    try {
      if (signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
      const job = await this.follow(jobId, opts);
      if (timedOut()) throw timeoutError();
      if (job.status === 'cancelled' || signal.aborted)
        throw new StvError('CANCELLED', job.error?.message ?? 'The render was cancelled.');
      if (job.status === 'failed' || !job.result) {
        const code = job.error && isErrorCode(job.error.code, ERROR_CODES) ? job.error.code : 'INTERNAL';
        throw new StvError(code, job.error?.message ?? 'The adapter reported a failure.', job.error?.hint ?? undefined);
      }
      return await finish(job.result, jobId, opts);
    } catch (e) {
      if (signal.aborted) {
        await cancelSent;
        if (timedOut()) throw timeoutError();
        throw new StvError('CANCELLED', 'The render was cancelled; the adapter stopped the job.');
      }
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The END_KEYFRAME_IGNORED text when the adapter's model takes no end image; undefined when it does or is unknown. */
  private async endKeyframeNotice(signal: AbortSignal): Promise<string | undefined> {
    const h = await this.health(signal).catch(() => undefined);
    if (h?.followsEndKeyframe !== false) return undefined;
    return `END_KEYFRAME_IGNORED: ${h.model ?? 'this model'} takes no end image: the clip starts on the start keyframe only. Render bookend shots with ComfyUI's first-and-last-frame workflow.`;
  }

  private async buildBody(req: RenderRequest): Promise<GenerateBody> {
    const size = { width: req.width, height: req.height };
    const keyframeBase64 = req.keyframePath
      ? await keyframeBase64Of(req.keyframePath, size, 'keyframe', 'the scene\'s "keyframe" path')
      : undefined;
    const endKeyframeBase64 = req.endKeyframePath
      ? await keyframeBase64Of(req.endKeyframePath, size, 'end keyframe', 'the shot\'s "keyframes.end" path')
      : undefined;
    return {
      prompt: req.prompt,
      ...(req.negativePrompt ? { negativePrompt: req.negativePrompt } : {}),
      ...(keyframeBase64 ? { keyframeBase64 } : {}),
      ...(endKeyframeBase64 ? { endKeyframeBase64 } : {}),
      width: req.width,
      height: req.height,
      numFrames: req.numFrames,
      fps: req.fps,
      seed: req.seed,
      ...(req.steps !== undefined ? { steps: req.steps } : {}),
      sceneId: req.sceneId,
      outputDir: req.sceneId,
    };
  }

  /** Follows the job over SSE, reconnecting with Last-Event-ID; falls back to polling. */
  private async follow(jobId: string, opts: RenderOptions): Promise<AdapterJob> {
    const retries = this.opts.sseRetries ?? 3;
    let lastEventId: string | undefined;
    let failures = 0;
    let lastFraction = 0;
    const report = (p: RenderProgress) => {
      lastFraction = Math.max(lastFraction, p.fraction);
      opts.onProgress({ ...p, fraction: lastFraction });
    };
    while (failures <= retries) {
      try {
        for await (const ev of this.client.events(jobId, lastEventId, opts.signal)) {
          if (ev.id) lastEventId = ev.id;
          failures = 0;
          if (ev.event === 'done') return parseJson(ev.data, JobSchema, this.client.what);
          if (ev.event && ev.event !== 'progress') continue;
          // A progress event we cannot read is not worth failing a render over; the final `done` is.
          let data: unknown;
          try {
            data = JSON.parse(ev.data);
          } catch {
            continue;
          }
          const p = ProgressSchema.safeParse(data);
          if (p.success) report(toProgress(p.data));
        }
        // The stream closed without `done` (a proxy, a restart): reconnect.
        failures++;
      } catch (e) {
        if (opts.signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
        if (e instanceof StvError && e.code === 'NOT_FOUND') throw this.crashed(jobId);
        if (!(e instanceof StvError) || (e.code !== 'UNREACHABLE' && e.code !== 'TIMEOUT' && e.code !== 'BAD_RESPONSE'))
          throw e;
        failures++;
      }
      await sleep(Math.min(2000, 200 * 2 ** failures), opts.signal);
    }
    return this.poll(jobId, opts, report);
  }

  private async poll(jobId: string, opts: RenderOptions, report: (p: RenderProgress) => void): Promise<AdapterJob> {
    let unreachable = 0;
    for (;;) {
      if (opts.signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
      try {
        const job = await this.client.job(jobId, opts.signal);
        unreachable = 0;
        if (FINAL_JOB_STATES.has(job.status)) return job;
        report(toProgress(job.progress));
      } catch (e) {
        if (e instanceof StvError && e.code === 'NOT_FOUND') throw this.crashed(jobId);
        if (e instanceof StvError && e.code === 'UNREACHABLE' && ++unreachable >= 5) throw this.crashed(jobId);
        if (!(e instanceof StvError) || (e.code !== 'UNREACHABLE' && e.code !== 'TIMEOUT')) throw e;
      }
      await sleep(this.opts.pollIntervalMs ?? 500, opts.signal);
    }
  }

  /**
   * The adapter serves one model, chosen when it starts; a scene that names another one still gets
   * rendered, but never silently with a different model.
   */
  private modelWarning(req: RenderRequest, served: string): RenderWarning[] {
    if (!req.model || req.model === served || served.endsWith(`/${req.model}`)) return [];
    return [
      {
        code: 'OTHER',
        message: `The scene asks for the model ${req.model}, but the adapter at ${this.endpoint} serves ${served}, which rendered this clip. Start the adapter with ${req.model} (fastVideo.modelId) to use it.`,
      },
    ];
  }

  private crashed(jobId: string): StvError {
    return new StvError(
      'ADAPTER_CRASHED',
      `The FastVideo adapter stopped during the render (job ${jobId.slice(0, 8)} is gone).`,
      'Restart the adapter ("Scene to Video: Start FastVideo adapter"), then render again; its terminal shows why it stopped.',
    );
  }

  /** The adapter's MP4 (or PNG) if this machine can read it, else a download into the scratch folder. */
  private async localFile(
    jobId: string,
    adapterPath: string,
    opts: RenderOptions,
    kind: 'video' | 'image',
  ): Promise<{ path: string; temporary: boolean; downloadMs?: number }> {
    if (this.opts.fetchVideo !== 'always' && isLoopbackUrl(this.endpoint) && path.isAbsolute(adapterPath)) {
      try {
        await access(adapterPath, constants.R_OK);
        if ((await stat(adapterPath)).size > 0) return { path: adapterPath, temporary: false };
      } catch {
        // Not visible from here (e.g. the adapter runs inside WSL): download it instead.
      }
    }
    opts.onProgress({ stage: 'downloading', fraction: 0.99 });
    // `.part`, not `.mp4`: a download cut short by a crash must never look like a finished video.
    const dest = path.join(opts.scratchDir, `.stv-download-${randomUUID()}.${kind === 'video' ? 'mp4' : 'png'}.part`);
    const t0 = Date.now();
    await this.client.downloadVideo(jobId, dest, opts.signal, kind);
    return { path: dest, temporary: true, downloadMs: Date.now() - t0 };
  }
}
