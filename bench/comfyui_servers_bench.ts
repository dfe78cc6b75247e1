/**
 * Several ComfyUI servers (comfyUI.endpoints), as ratios against a baseline in the same run:
 *   - throughput: the same jobs through the real render queue on two servers vs one;
 *   - the pool's own cost per job: one server behind the pool vs the same server's provider alone
 *     (on a server that takes no time per step, so the client's own work is the whole wait).
 * The servers are the in-process fake of ComfyUI's protocol (test/fakes/fakeComfyUI.ts) with a fixed
 * time per sampler step, so a render's length is the server's, as with a real GPU. Prints one JSON
 * object. Run through `npm run bench`, or alone: `node out/bench/comfyui_servers_bench.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ComfyUIPool } from '../src/core/providers/comfyui/pool';
import { ComfyUIProvider } from '../src/core/providers/comfyui/provider';
import { BUILTIN_MAPPING, builtinWorkflow } from '../src/core/providers/comfyui/workflow';
import type { VideoProvider } from '../src/core/providers/types';
import { RenderQueue } from '../src/core/render/queue';
import type { ResolvedScene } from '../src/core/timeline/resolve';
import { FakeComfyUI } from '../test/fakes/fakeComfyUI';

const root = path.resolve(__dirname, '../..');
const TINY = path.join(root, 'test/fixtures/video/tiny.mp4');
const KEYFRAME = path.join(root, 'media/sample/keyframes/lighthouse.png');
const JOBS = 8;

const scene = (id: string): ResolvedScene => ({
  id,
  key: id,
  index: 0,
  title: id,
  prompt: `bench ${id}`,
  keyframePath: KEYFRAME,
  width: 640,
  height: 352,
  fps: 16,
  numFrames: 33,
  seed: 1,
});

const provider = (fake: FakeComfyUI) =>
  new ComfyUIProvider({
    url: fake.url,
    workflow: builtinWorkflow(),
    mapping: BUILTIN_MAPPING,
    workflowName: 'built-in Wan 2.2 TI2V 5B',
    timeoutMs: 120_000,
    pollIntervalMs: 1000,
  });

/** Wall time of `ids` rendered through the real queue on `p`; throws unless every job succeeded. */
async function renderAll(p: VideoProvider, ids: string[]): Promise<number> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'stv-bench-pool-'));
  try {
    const q = new RenderQueue({
      getProvider: () => Promise.resolve(p),
      outputRootFor: () => path.join(out, 'renders'),
      artifactsRoot: path.join(out, 'runs'),
    });
    const timelineFile = path.join(out, 'x.timeline.json');
    const t0 = performance.now();
    const jobs = ids.map((id) => q.enqueue({ timelineFile, scene: scene(id), providerId: 'comfyui-local' }));
    const done = await Promise.all(jobs.map((j) => q.whenDone(j.jobId)));
    const ms = performance.now() - t0;
    const bad = done.find((d) => d.state !== 'succeeded');
    if (bad) throw new Error(`bench job ${bad.sceneId} ${bad.state}: ${bad.error?.message}`);
    return ms;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  // 60 ms per node and sampler step: about 1.3 s of "GPU" per clip (a real one takes minutes).
  const fakes = await Promise.all([0, 1].map(() => new FakeComfyUI({ videoFixture: TINY, stepDelayMs: 60 }).start()));
  const [a, b] = fakes as [FakeComfyUI, FakeComfyUI];
  // A server with no time per step for the per-job cost, so the client's own work is the whole wait.
  const quick = await new FakeComfyUI({ videoFixture: TINY, stepDelayMs: 0 }).start();
  fakes.push(quick);
  try {
    const ids = Array.from({ length: JOBS }, (_, i) => `s${i}`);
    await renderAll(provider(a), ['warm-up']);
    // Alternating order, so neither side always runs on a warmer process.
    const one: number[] = [];
    const two: number[] = [];
    for (let run = 0; run < 3; run++) {
      const pair = [
        async () => one.push(await renderAll(new ComfyUIPool([provider(a)]), ids)),
        async () => two.push(await renderAll(new ComfyUIPool([provider(a), provider(b)]), ids)),
      ];
      for (const step of run % 2 ? pair.reverse() : pair) await step();
    }
    // Per job, one after another: the pool in front of one server vs that server's provider alone,
    // measured back to back in pairs (order alternating); the cost is the median of the differences.
    const direct: number[] = [];
    const pooled: number[] = [];
    for (let i = 0; i < 40; i++) {
      const pair = [
        async () => direct.push(await renderAll(provider(quick), [`d${i}`])),
        async () => pooled.push(await renderAll(new ComfyUIPool([provider(quick)]), [`p${i}`])),
      ];
      for (const step of i % 2 ? pair.reverse() : pair) await step();
    }
    const diffs = pooled.slice(4).map((p, i) => p - (direct[i + 4] ?? NaN)); // the first pairs warm up
    const sorted = [...diffs].sort((x, y) => x - y);
    const iqr = (sorted[Math.floor(sorted.length * 0.75)] ?? NaN) - (sorted[Math.floor(sorted.length * 0.25)] ?? NaN);
    const oneMs = median(one);
    const twoMs = median(two);
    console.log(
      JSON.stringify({
        throughput: {
          jobs: JOBS,
          oneServerMs: round(oneMs, 0),
          twoServersMs: round(twoMs, 0),
          ratio: round(oneMs / twoMs, 2),
        },
        poolCostPerJob: {
          directMs: round(median(direct.slice(4))),
          pooledMs: round(median(pooled.slice(4))),
          overheadMs: round(median(diffs)),
          iqrMs: round(iqr),
          pairs: diffs.length,
        },
        maxPromptsHeldByOneServer: Math.max(a.maxInFlight, b.maxInFlight),
      }),
    );
  } finally {
    await Promise.all(fakes.map((f) => f.stop()));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
