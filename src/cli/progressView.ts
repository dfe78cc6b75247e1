/** Renders queue progress: bars on a terminal, one JSON object per line otherwise (CI, pipes). */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RenderJobSnapshot } from '../core/render/queue';

export interface ProgressView {
  update(job: RenderJobSnapshot): void;
  log(line: string): void;
  stop(): void;
}

export function jsonLinesView(out: NodeJS.WritableStream = process.stdout): ProgressView {
  let lastKey = '';
  return {
    update(job) {
      const key = `${job.jobId}:${job.state}:${job.progress?.stage}:${Math.floor((job.progress?.fraction ?? 0) * 20)}`;
      if (key === lastKey) return; // at most ~20 lines per job
      lastKey = key;
      out.write(
        `${JSON.stringify({ type: 'job', jobId: job.jobId, scene: job.sceneId, ...(job.shotId ? { shot: job.shotId } : {}), state: job.state, seed: job.seed, stage: job.progress?.stage, fraction: job.progress?.fraction, etaMs: job.progress?.etaMs, video: job.artifact?.videoPath, error: job.error })}\n`,
      );
    },
    log(line) {
      out.write(`${JSON.stringify({ type: 'log', message: line })}\n`);
    },
    stop() {},
  };
}

export function barsView(): ProgressView {
  const multi = new MultiBar(
    {
      clearOnComplete: false,
      hideCursor: true,
      format: ' {scene} |{bar}| {percentage}% {stage} {eta_text}',
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  return {
    update(job) {
      let bar = bars.get(job.jobId);
      if (!bar) {
        bar = multi.create(100, 0, {
          scene: (job.shotId ? `${job.sceneId}/${job.shotId}` : job.sceneId).padEnd(16).slice(0, 16),
          stage: job.state,
          eta_text: '',
        });
        bars.set(job.jobId, bar);
      }
      const stage = job.state === 'running' ? (job.progress?.stage ?? 'running') : job.state;
      const eta = job.progress?.etaMs ? `~${Math.ceil(job.progress.etaMs / 1000)} s left` : '';
      bar.update(Math.round((job.state === 'succeeded' ? 1 : (job.progress?.fraction ?? 0)) * 100), {
        stage: stage.padEnd(10),
        eta_text: eta,
      });
    },
    log(line) {
      multi.log(`${line}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}
