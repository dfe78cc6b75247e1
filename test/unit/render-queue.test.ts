import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../../src/core/errors';
import type {
  ProviderHealth,
  ProviderId,
  RenderOptions,
  RenderRequest,
  RenderResult,
  VideoProvider,
} from '../../src/core/providers/types';
import { listRenders } from '../../src/core/render/history';
import { RenderQueue, type RenderJobSnapshot } from '../../src/core/render/queue';
import type { ResolvedScene } from '../../src/core/timeline/resolve';
import { repoRoot } from '../helpers/paths';
import { until } from '../helpers/until';

const TINY = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');

/** An in-process provider that records calls and answers with a real small MP4, when told to. */
class ScriptedProvider implements VideoProvider {
  readonly endpoint = 'memory://';
  calls: RenderRequest[] = [];
  aborted: string[] = [];
  private gates: (() => void)[] = [];
  constructor(
    readonly id: ProviderId,
    private readonly opts: { hold?: boolean; output?: string; fail?: StvError; slots?: number } = {},
  ) {}
  get slots(): number | undefined {
    return this.opts.slots;
  }
  health(): Promise<ProviderHealth> {
    return Promise.resolve({
      provider: this.id,
      state: 'ok',
      endpoint: this.endpoint,
      summary: 'scripted',
      checkedAt: new Date().toISOString(),
    });
  }
  /** Renders held at their gate, waiting for release(). */
  get held(): number {
    return this.gates.length;
  }
  release(): void {
    this.gates.shift()?.();
  }
  async render(req: RenderRequest, o: RenderOptions): Promise<RenderResult> {
    this.calls.push(req);
    o.onProgress({ stage: 'denoising', fraction: 0.5 });
    if (this.opts.hold) {
      // Like the real providers: a signal that is already aborted ends the render at once.
      if (o.signal.aborted) {
        this.aborted.push(req.sceneId);
        throw new StvError('CANCELLED', 'cancelled');
      }
      await new Promise<void>((resolve, reject) => {
        this.gates.push(resolve);
        o.signal.addEventListener('abort', () => {
          this.aborted.push(req.sceneId);
          reject(new StvError('CANCELLED', 'cancelled'));
        });
      });
    }
    if (this.opts.fail) throw this.opts.fail;
    const tmp = path.join(o.scratchDir, `${req.sceneId}-${this.calls.length}.mp4`);
    copyFileSync(this.opts.output ?? TINY, tmp);
    return {
      videoPath: tmp,
      videoIsTemporary: true,
      seed: req.seed,
      width: req.width,
      height: req.height,
      numFrames: req.numFrames,
      fps: req.fps,
      warnings: [],
      timings: { totalMs: 5 },
      server: { scripted: true },
    };
  }
}

const scene = (id: string, seed: number | 'random' = 1): ResolvedScene => ({
  id,
  index: 0,
  title: id,
  prompt: `prompt ${id}`,
  width: 256,
  height: 256,
  fps: 8,
  numFrames: 9,
  seed,
});

describe('render queue', () => {
  let out: string;
  let timelineFile: string;
  beforeEach(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'stv-queue-'));
    timelineFile = path.join(out, 'x.timeline.json');
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  const queueWith = (
    providers: Partial<Record<ProviderId, VideoProvider>>,
    extra: Partial<ConstructorParameters<typeof RenderQueue>[0]> = {},
  ) =>
    new RenderQueue({
      getProvider: (id) => Promise.resolve(providers[id] as VideoProvider),
      outputRootFor: () => path.join(out, 'renders'),
      artifactsRoot: path.join(out, 'artifacts'),
      ...extra,
    });

  it('runs one job at a time per provider, in order, and writes MP4 + sidecar', async () => {
    const p = new ScriptedProvider('fastvideo-local', { hold: true });
    const q = queueWith({ 'fastvideo-local': p });
    const a = q.enqueue({ timelineFile, scene: scene('a'), providerId: 'fastvideo-local' });
    const b = q.enqueue({ timelineFile, scene: scene('b'), providerId: 'fastvideo-local' });
    await until('a to be held by its provider', () => p.held === 1);
    assert.deepEqual(
      q.jobs().map((j) => j.state),
      ['running', 'queued'],
    );
    p.release();
    const da = await q.whenDone(a.jobId);
    assert.equal(da.state, 'succeeded');
    await until('b to be held by its provider', () => p.held === 1);
    assert.equal(q.jobs()[1]?.state, 'running');
    p.release();
    const db = await q.whenDone(b.jobId);
    assert.deepEqual(
      p.calls.map((c) => c.sceneId),
      ['a', 'b'],
    );
    const art = db.artifact;
    assert.ok(art && existsSync(art.videoPath) && existsSync(art.sidecarPath));
    assert.match(path.basename(art.videoPath), /^b_\d{8}-\d{6}_s1\.mp4$/);
    const side = JSON.parse(readFileSync(art.sidecarPath, 'utf8')) as {
      request: RenderRequest;
      providerId: string;
      server: unknown;
    };
    assert.equal(side.request.prompt, 'prompt b');
    assert.equal(side.providerId, 'fastvideo-local');
    assert.deepEqual(side.server, { scripted: true });
  });

  it('runs different providers side by side', async () => {
    const f = new ScriptedProvider('fastvideo-local', { hold: true });
    const c = new ScriptedProvider('comfyui-local', { hold: true });
    const q = queueWith({ 'fastvideo-local': f, 'comfyui-local': c });
    const jobs = [
      q.enqueue({ timelineFile, scene: scene('a'), providerId: 'fastvideo-local' }),
      q.enqueue({ timelineFile, scene: scene('b'), providerId: 'comfyui-local' }),
    ];
    await until('both to be held by their providers', () => f.held === 1 && c.held === 1);
    assert.deepEqual(
      q.jobs().map((j) => j.state),
      ['running', 'running'],
    );
    q.cancelAll();
    assert.deepEqual(
      (await Promise.all(jobs.map((j) => q.whenDone(j.jobId)))).map((j) => j.state),
      ['cancelled', 'cancelled'],
    );
  });

  it('cancels queued jobs before they start and aborts the running one', async () => {
    const p = new ScriptedProvider('fastvideo-local', { hold: true });
    const q = queueWith({ 'fastvideo-local': p });
    const a = q.enqueue({ timelineFile, scene: scene('a'), providerId: 'fastvideo-local' });
    const b = q.enqueue({ timelineFile, scene: scene('b'), providerId: 'fastvideo-local' });
    const c = q.enqueue({ timelineFile, scene: scene('c'), providerId: 'fastvideo-local' });
    await until('a to be held by its provider', () => p.held === 1);
    q.cancel(b.jobId);
    assert.equal((await q.whenDone(b.jobId)).state, 'cancelled');
    q.cancelAll();
    const states = await Promise.all([a, c].map((j) => q.whenDone(j.jobId)));
    assert.deepEqual(
      states.map((s) => s.state),
      ['cancelled', 'cancelled'],
    );
    assert.deepEqual(
      p.calls.map((x) => x.sceneId),
      ['a'],
      'b and c never started',
    );
    assert.deepEqual(p.aborted, ['a'], 'the running render saw the abort');
    assert.deepEqual(
      readdirSync(path.join(out, 'renders')).filter((n) => !n.startsWith('.')),
      [],
    );
  });

  it('draws random seeds once, records them, and never overwrites an earlier render', async () => {
    const p = new ScriptedProvider('fastvideo-local');
    const q = queueWith({ 'fastvideo-local': p }, { randomSeed: () => 4242 });
    const jobs = [
      q.enqueue({ timelineFile, scene: scene('r', 'random'), providerId: 'fastvideo-local' }),
      q.enqueue({ timelineFile, scene: scene('r', 'random'), providerId: 'fastvideo-local' }),
    ];
    assert.deepEqual(
      jobs.map((j) => j.seed),
      [4242, 4242],
    );
    const done = await Promise.all(jobs.map((j) => q.whenDone(j.jobId)));
    assert.deepEqual(
      p.calls.map((c) => c.seed),
      [4242, 4242],
    );
    const names = done.map((d) => path.basename(d.artifact?.videoPath ?? ''));
    assert.notEqual(names[0], names[1]);
    assert.match(names[1] ?? '', /_s4242(_1)?\.mp4$/);
    const history = await listRenders(path.join(out, 'renders'), 'r');
    assert.equal(history.length, 2);
    assert.ok(history.every((h) => h.seed === 4242));
  });

  it('a random seed comes from crypto, once, and is the one the provider gets and the sidecar records', async () => {
    const p = new ScriptedProvider('fastvideo-local');
    const q = queueWith({ 'fastvideo-local': p });
    const snaps = [1, 2, 3].map(() =>
      q.enqueue({ timelineFile, scene: scene('r', 'random'), providerId: 'fastvideo-local' }),
    );
    for (const s of snaps) assert.ok(Number.isInteger(s.seed) && s.seed >= 0 && s.seed < 2 ** 32, String(s.seed));
    assert.equal(new Set(snaps.map((s) => s.seed)).size, 3, 'three draws, three seeds');
    const done = await Promise.all(snaps.map((s) => q.whenDone(s.jobId)));
    assert.deepEqual(
      p.calls.map((c) => c.seed),
      snaps.map((s) => s.seed),
    );
    for (const d of done)
      assert.equal(
        (
          JSON.parse(readFileSync(d.artifact?.sidecarPath as string, 'utf8')) as {
            seed: number;
            request: { seed: number };
          }
        ).request.seed,
        d.seed,
      );
    const fixed = q.enqueue({ timelineFile, scene: scene('f', 77), providerId: 'fastvideo-local', seedOverride: 5 });
    assert.equal(fixed.seed, 5, "an explicit seed wins over the scene's");
    await q.whenDone(fixed.jobId);
  });

  it('refuses output that is not an MP4 and leaves nothing behind', async () => {
    const junk = path.join(out, 'junk.mp4');
    writeFileSync(junk, '<html>not a video</html>');
    const q = queueWith({ 'fastvideo-local': new ScriptedProvider('fastvideo-local', { output: junk }) });
    const j = await q.whenDone(q.enqueue({ timelineFile, scene: scene('a'), providerId: 'fastvideo-local' }).jobId);
    assert.equal(j.state, 'failed');
    assert.equal(j.error?.code, 'BAD_RESPONSE');
    assert.deepEqual(readdirSync(path.join(out, 'renders', 'a')), []);
  });

  it('reports an unwritable output folder and keeps earlier renders', async () => {
    const p = new ScriptedProvider('fastvideo-local');
    const good = queueWith({ 'fastvideo-local': p });
    const first = await good.whenDone(
      good.enqueue({ timelineFile, scene: scene('a'), providerId: 'fastvideo-local' }).jobId,
    );
    // A file where the scene folder must go: the OS refuses (ENOTDIR/EEXIST) even for root.
    writeFileSync(path.join(out, 'renders', 'b'), 'in the way');
    const j = await good.whenDone(
      good.enqueue({ timelineFile, scene: scene('b'), providerId: 'fastvideo-local' }).jobId,
    );
    assert.equal(j.state, 'failed');
    assert.equal(j.error?.code, 'OUTPUT_NOT_WRITABLE');
    assert.match(j.error?.message ?? '', /renders/);
    assert.ok(first.artifact && existsSync(first.artifact.videoPath));
  });

  it('passes provider failures through with their code and hint', async () => {
    const q = queueWith({
      'fastvideo-local': new ScriptedProvider('fastvideo-local', {
        fail: new StvError('CUDA_OOM', 'out of memory', 'fewer frames'),
      }),
    });
    const j: RenderJobSnapshot = await q.whenDone(
      q.enqueue({ timelineFile, scene: scene('a'), providerId: 'fastvideo-local' }).jobId,
    );
    assert.deepEqual(j.error, { code: 'CUDA_OOM', message: 'out of memory', hint: 'fewer frames' });
  });

  it('keeps as many jobs in flight as the provider has slots, and writes the run summary once, after the last', async () => {
    const p = new ScriptedProvider('comfyui-local', { hold: true, slots: 2 });
    const q = queueWith({ 'comfyui-local': p });
    const jobs = ['a', 'b', 'c'].map((id) =>
      q.enqueue({ timelineFile, scene: scene(id), providerId: 'comfyui-local' }),
    );
    await until('two jobs held by the provider', () => p.held === 2);
    assert.deepEqual(
      q.jobs().map((j) => j.state),
      ['running', 'running', 'queued'],
    );
    const [first, second] = p.calls.map((c) => c.sceneId); // gates open in the order renders began
    const byScene = (id: string | undefined) => jobs.find((j) => j.sceneId === id)?.jobId ?? '';
    p.release(); // the first: c takes its slot
    await until('c to be held', () => p.held === 2 && q.jobs()[2]?.state === 'running');
    assert.equal(p.calls.length, 3);
    p.release(); // the second finishes while c still runs: the run is not over yet
    await q.whenDone(byScene(second));
    assert.equal((await q.whenDone(byScene(first))).state, 'succeeded');
    const dir = path.join(out, 'artifacts', 'comfyui-local');
    assert.equal(existsSync(dir) ? readdirSync(dir).length : 0, 0, 'no summary while a job still runs');
    p.release();
    await Promise.all(jobs.map((j) => q.whenDone(j.jobId)));
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    const summary = JSON.parse(readFileSync(path.join(dir, files[0] as string), 'utf8')) as { succeeded: number };
    assert.equal(summary.succeeded, 3);
  });

  it('writes one telemetry summary per run', async () => {
    const q = queueWith({ 'fastvideo-local': new ScriptedProvider('fastvideo-local') });
    await Promise.all(
      [
        q.enqueue({ timelineFile, scene: scene('a'), providerId: 'fastvideo-local' }),
        q.enqueue({ timelineFile, scene: scene('b'), providerId: 'fastvideo-local' }),
      ].map((j) => q.whenDone(j.jobId)),
    );
    // No wait: the last job of a run settles only once the summary is written.
    const dir = path.join(out, 'artifacts', 'fastvideo-local');
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    const summary = JSON.parse(readFileSync(path.join(dir, files[0] as string), 'utf8')) as {
      succeeded: number;
      jobs: unknown[];
    };
    assert.equal(summary.succeeded, 2);
    assert.equal(summary.jobs.length, 2);
  });
});
