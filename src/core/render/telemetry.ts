/** One summary JSON per run (a queue drain or a CLI invocation) under `artifacts/<provider>/`. */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { ProviderId } from '../providers/types';
import { writeJsonAtomic } from './artifacts';

export interface RunSummaryJob {
  sceneId: string;
  state: string;
  seed: number;
  videoPath?: string;
  errorCode?: string;
  queueMs?: number;
  loadMs?: number;
  generateMs?: number;
  encodeMs?: number;
  downloadMs?: number;
  totalMs?: number;
  width?: number;
  height?: number;
  numFrames?: number;
  fps?: number;
}

export async function writeRunSummary(artifactsRoot: string, providerId: ProviderId, startedAt: Date, jobs: RunSummaryJob[]): Promise<string | undefined> {
  try {
    const dir = path.join(artifactsRoot, providerId);
    await mkdir(dir, { recursive: true });
    // The random part keeps two runs that start in the same second (two windows, a quick re-run) apart.
    const file = path.join(dir, `run-${startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}.json`);
    await writeJsonAtomic(file, {
      provider: providerId,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      succeeded: jobs.filter((j) => j.state === 'succeeded').length,
      failed: jobs.filter((j) => j.state === 'failed').length,
      cancelled: jobs.filter((j) => j.state === 'cancelled').length,
      jobs,
    });
    return file;
  } catch {
    return undefined; // telemetry never fails a render
  }
}
