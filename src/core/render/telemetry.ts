/**
 * Run records: one summary JSON per run (a queue drain or a CLI invocation) under
 * `<root>/<provider>/`, the newest RUN_RECORDS_KEPT kept. The extension's root is in its own storage
 * and the CLI's a hidden folder beside the timeline, so the workspace gets only the renders.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
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

/** How many run records each provider keeps; older ones are removed when a new one is written. */
export const RUN_RECORDS_KEPT = 50;

export async function writeRunSummary(
  artifactsRoot: string,
  providerId: ProviderId,
  startedAt: Date,
  jobs: RunSummaryJob[],
  keep = RUN_RECORDS_KEPT,
): Promise<string | undefined> {
  try {
    const dir = path.join(artifactsRoot, providerId);
    await mkdir(dir, { recursive: true });
    // The random part keeps two runs that start in the same second (two windows, a quick re-run) apart.
    const file = path.join(
      dir,
      `run-${startedAt
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}.json`,
    );
    await writeJsonAtomic(file, {
      provider: providerId,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      succeeded: jobs.filter((j) => j.state === 'succeeded').length,
      failed: jobs.filter((j) => j.state === 'failed').length,
      cancelled: jobs.filter((j) => j.state === 'cancelled').length,
      jobs,
    });
    await prune(dir, keep);
    return file;
  } catch {
    return undefined; // telemetry never fails a render
  }
}

/** Removes all but the newest `keep` records (names start with the UTC start time, so they sort). */
async function prune(dir: string, keep: number): Promise<void> {
  const runs = (await readdir(dir)).filter((n) => /^run-.*\.json$/.test(n)).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) await rm(path.join(dir, old), { force: true });
}

export interface RunRecordSummary {
  file: string;
  provider: string;
  startedAt: string;
  succeeded: number;
  failed: number;
  cancelled: number;
  scenes: string[];
}

/** The run records under `artifactsRoot`, newest first; unreadable ones are skipped. */
export async function listRunRecords(artifactsRoot: string): Promise<RunRecordSummary[]> {
  const out: RunRecordSummary[] = [];
  const providers = await readdir(artifactsRoot, { withFileTypes: true }).catch(() => []);
  for (const p of providers.filter((d) => d.isDirectory())) {
    const dir = path.join(artifactsRoot, p.name);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!/^run-.*\.json$/.test(name)) continue;
      try {
        const r = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as Partial<
          Record<'provider' | 'startedAt', string> & Record<'succeeded' | 'failed' | 'cancelled', number>
        > & { jobs?: { sceneId?: string }[] };
        out.push({
          file: path.join(dir, name),
          provider: r.provider ?? p.name,
          startedAt: r.startedAt ?? '',
          succeeded: r.succeeded ?? 0,
          failed: r.failed ?? 0,
          cancelled: r.cancelled ?? 0,
          scenes: (r.jobs ?? []).map((j) => String(j.sceneId ?? '?')),
        });
      } catch {
        continue;
      }
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
