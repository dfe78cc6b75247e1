/**
 * The render queue: FIFO per provider, with as many jobs in flight as the provider has slots (one,
 * or one per server for several ComfyUI servers), cancellable one by one or all at once.
 * Seeds are settled when a job is queued (a random policy draws one and records it), so what the
 * UI shows, what the server renders and what the sidecar says are the same number.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import * as path from 'node:path';
import { StvError, toStvError, type ErrorShape } from '../errors';
import {
  FINAL_JOB_STATES,
  type FinalJobState,
  type JobState,
  type ProviderId,
  type RenderProgress,
  type RenderRequest,
  type VideoProvider,
} from '../providers/types';
import type { ResolvedScene } from '../timeline/resolve';
import { saveArtifact, type ArtifactFs, type RenderArtifact } from './artifacts';
import { writeRunSummary, type RunSummaryJob } from './telemetry';
import { removeStaleScratch, scratchDirFor } from './scratch';

export interface RenderJobSpec {
  timelineFile: string;
  scene: ResolvedScene;
  providerId: ProviderId;
  seedOverride?: number;
}

export type { JobState } from '../providers/types';

export interface RenderJobSnapshot {
  jobId: string;
  sceneId: string;
  /** Set for the shot of a scene written with shots (timeline version 2). */
  shotId?: string;
  timelineFile: string;
  providerId: ProviderId;
  state: JobState;
  seed: number;
  progress?: RenderProgress;
  error?: ErrorShape;
  artifact?: RenderArtifact;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface RenderQueueDeps {
  getProvider(id: ProviderId): Promise<VideoProvider>;
  outputRootFor(timelineFile: string, providerId: ProviderId): string;
  /** Where run records go; defaults to a hidden `.scene-to-video/runs/` beside the timeline. */
  artifactsRoot?: string;
  randomSeed?(): number;
  /** File operations for saving renders (tests inject a disk that fills up). */
  fs?: ArtifactFs;
}

interface Job {
  snap: RenderJobSnapshot;
  spec: RenderJobSpec;
  controller: AbortController;
  done: Promise<RenderJobSnapshot>;
  resolve(s: RenderJobSnapshot): void;
}

export class RenderQueue {
  private readonly jobsById = new Map<string, Job>();
  private readonly order: Job[] = [];
  private readonly running = new Map<ProviderId, Set<Job>>();
  /** Each provider's slots, learnt when one of its jobs gets the provider (1 until then). */
  private readonly slots = new Map<ProviderId, number>();
  private readonly listeners = new Set<(job: RenderJobSnapshot) => void>();
  private readonly runs = new Map<ProviderId, { startedAt: Date; jobs: RunSummaryJob[]; artifactsRoot: string }>();

  constructor(private readonly deps: RenderQueueDeps) {}

  enqueue(spec: RenderJobSpec): RenderJobSnapshot {
    const seed =
      spec.seedOverride ??
      (spec.scene.seed === 'random' ? (this.deps.randomSeed?.() ?? randomInt(0, 2 ** 32 - 1)) : spec.scene.seed);
    let resolve!: (s: RenderJobSnapshot) => void;
    const done = new Promise<RenderJobSnapshot>((r) => (resolve = r));
    const job: Job = {
      snap: {
        jobId: randomUUID(),
        sceneId: spec.scene.id,
        ...(spec.scene.shotId ? { shotId: spec.scene.shotId } : {}),
        timelineFile: spec.timelineFile,
        providerId: spec.providerId,
        state: 'queued',
        seed,
        createdAt: new Date().toISOString(),
        progress: { stage: 'queued', fraction: 0 },
      },
      spec,
      controller: new AbortController(),
      done,
      resolve,
    };
    this.jobsById.set(job.snap.jobId, job);
    this.order.push(job);
    this.emit(job);
    this.pump(spec.providerId);
    return { ...job.snap };
  }

  cancel(jobId: string): void {
    const job = this.jobsById.get(jobId);
    if (!job || FINAL_JOB_STATES.has(job.snap.state)) return;
    if (job.snap.state === 'queued') {
      this.finish(job, 'cancelled', { error: { code: 'CANCELLED', message: 'Cancelled before it started.' } });
      return;
    }
    job.controller.abort();
  }

  cancelAll(): void {
    // Queued ones first, so none of them starts when the running one stops.
    for (const job of this.order.filter((j) => j.snap.state === 'queued')) this.cancel(job.snap.jobId);
    for (const job of [...this.running.values()].flatMap((set) => [...set])) this.cancel(job.snap.jobId);
  }

  onDidChange(listener: (job: RenderJobSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  jobs(): RenderJobSnapshot[] {
    return this.order.map((j) => ({ ...j.snap }));
  }

  whenDone(jobId: string): Promise<RenderJobSnapshot> {
    const job = this.jobsById.get(jobId);
    if (!job) return Promise.reject(new StvError('NOT_FOUND', `No render job ${jobId}.`));
    return job.done;
  }

  /** Forgets finished jobs (their renders stay on disk and in the history). */
  clearFinished(): void {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const job = this.order[i] as Job;
      if (FINAL_JOB_STATES.has(job.snap.state)) {
        this.order.splice(i, 1);
        this.jobsById.delete(job.snap.jobId);
      }
    }
  }

  private emit(job: Job): void {
    const snap = { ...job.snap };
    for (const l of this.listeners) {
      try {
        l(snap);
      } catch {
        // A broken listener (a closed panel) must not stop rendering.
      }
    }
  }

  private finish(job: Job, state: FinalJobState, extra: { error?: ErrorShape; artifact?: RenderArtifact }): void {
    job.snap = {
      ...job.snap,
      state,
      finishedAt: new Date().toISOString(),
      ...extra,
      ...(state === 'succeeded' ? { progress: { stage: 'done', fraction: 1 } } : {}),
    };
    this.emit(job);
    job.resolve({ ...job.snap });
  }

  /** Starts queued jobs of this provider, oldest first, while it has a free slot. */
  private pump(providerId: ProviderId): void {
    let running = this.running.get(providerId);
    if (!running) this.running.set(providerId, (running = new Set()));
    const limit = this.slots.get(providerId) ?? 1;
    while (running.size < limit) {
      const next = this.order.find((j) => j.snap.providerId === providerId && j.snap.state === 'queued');
      if (!next) break;
      running.add(next);
      // run() marks the job running before its first await, so the next find() skips it.
      void this.run(next).finally(() => {
        running.delete(next);
        this.pump(providerId);
      });
    }
    if (running.size === 0) void this.flushRun(providerId);
  }

  /** Records how many jobs the provider takes at once, and fills the slots it has beyond one. */
  private learnSlots(providerId: ProviderId, provider: VideoProvider): void {
    const slots = Math.max(1, Math.floor(provider.slots ?? 1));
    if (this.slots.get(providerId) === slots) return;
    this.slots.set(providerId, slots);
    this.pump(providerId);
  }

  private async run(job: Job): Promise<void> {
    const { spec } = job;
    const s = spec.scene;
    job.snap = {
      ...job.snap,
      state: 'running',
      startedAt: new Date().toISOString(),
      progress: { stage: 'queued', fraction: 0 },
    };
    this.emit(job);
    const outputRoot = this.deps.outputRootFor(spec.timelineFile, spec.providerId);
    // Per job: two providers may share an output folder and run at the same time.
    const scratchDir = scratchDirFor(outputRoot, job.snap.jobId);
    const request = renderRequestFor(spec.scene, job.snap.seed);
    const record: RunSummaryJob = { sceneId: s.key ?? s.id, state: 'running', seed: job.snap.seed };
    let outcome: { state: FinalJobState; extra: { error?: ErrorShape; artifact?: RenderArtifact } };
    this.runFor(spec).jobs.push(record);
    try {
      const provider = await this.deps.getProvider(spec.providerId);
      this.learnSlots(spec.providerId, provider);
      await removeStaleScratch(outputRoot).catch(() => 0); // what a crashed window or CLI left (issue 14)
      await mkdir(scratchDir, { recursive: true }).catch(() => undefined);
      // A cancel that landed while the provider was being built must not start a render.
      if (job.controller.signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
      const result = await provider.render(request, {
        signal: job.controller.signal,
        scratchDir,
        onProgress: (p) => {
          if (job.snap.state !== 'running') return;
          job.snap = { ...job.snap, progress: p };
          this.emit(job);
        },
      });
      if (job.controller.signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
      job.snap = { ...job.snap, progress: { stage: 'saving', fraction: 1 } };
      this.emit(job);
      const artifact = await saveArtifact({
        outputRoot,
        timelineFile: spec.timelineFile,
        providerId: spec.providerId,
        request,
        result,
        ...(this.deps.fs ? { fs: this.deps.fs } : {}),
      });
      Object.assign(record, {
        state: 'succeeded',
        videoPath: artifact.videoPath,
        width: artifact.width,
        height: artifact.height,
        numFrames: artifact.numFrames,
        fps: artifact.fps,
        ...artifact.timings,
      });
      outcome = { state: 'succeeded', extra: { artifact } };
    } catch (e) {
      const err = job.controller.signal.aborted
        ? new StvError('CANCELLED', 'The render was cancelled.')
        : toStvError(e);
      Object.assign(record, { state: err.code === 'CANCELLED' ? 'cancelled' : 'failed', errorCode: err.code });
      outcome = { state: err.code === 'CANCELLED' ? 'cancelled' : 'failed', extra: { error: err.toJSON() } };
    } finally {
      await rm(scratchDir, { recursive: true, force: true }).catch(() => undefined);
      // Leave no empty scratch folder among the outputs (rmdir fails while another job uses it).
      await rmdir(path.dirname(scratchDir)).catch(() => undefined);
    }
    // The last job of a run settles only after the run's summary is on disk, so whoever awaits
    // it (the CLI before it exits, a test before it cleans up) finds the summary written. Last
    // means none queued and no other in flight (several servers finish in any order).
    // It leaves the set of jobs in flight here, before it settles: of two that end together, the
    // second to get here then sees the first gone, and writes the summary.
    const running = this.running.get(spec.providerId);
    running?.delete(job);
    if (!running?.size && !this.order.some((j) => j.snap.providerId === spec.providerId && j.snap.state === 'queued'))
      await this.flushRun(spec.providerId);
    this.finish(job, outcome.state, outcome.extra);
  }

  private runFor(spec: RenderJobSpec): { startedAt: Date; jobs: RunSummaryJob[]; artifactsRoot: string } {
    let run = this.runs.get(spec.providerId);
    if (!run) {
      run = {
        startedAt: new Date(),
        jobs: [],
        artifactsRoot: this.deps.artifactsRoot ?? path.join(path.dirname(spec.timelineFile), '.scene-to-video', 'runs'),
      };
      this.runs.set(spec.providerId, run);
    }
    return run;
  }

  private async flushRun(providerId: ProviderId): Promise<void> {
    const run = this.runs.get(providerId);
    if (!run || run.jobs.length === 0) return;
    this.runs.delete(providerId);
    await writeRunSummary(run.artifactsRoot, providerId, run.startedAt, run.jobs);
  }
}

/** What the provider is asked to render for a resolved scene, given the job's seed. */
function renderRequestFor(s: ResolvedScene, seed: number): RenderRequest {
  return {
    sceneId: s.id,
    ...(s.shotId ? { shotId: s.shotId } : {}),
    prompt: s.prompt,
    ...(s.negativePrompt ? { negativePrompt: s.negativePrompt } : {}),
    ...(s.keyframePath ? { keyframePath: s.keyframePath } : {}),
    ...(s.endKeyframePath ? { endKeyframePath: s.endKeyframePath } : {}),
    ...(s.workflow ? { workflow: { name: s.workflow.name, file: s.workflow.file, mapping: s.workflow.mapping } } : {}),
    width: s.width,
    height: s.height,
    numFrames: s.numFrames,
    fps: s.fps,
    seed,
    ...(s.steps !== undefined ? { steps: s.steps } : {}),
    ...(s.model ? { model: s.model } : {}),
  };
}
