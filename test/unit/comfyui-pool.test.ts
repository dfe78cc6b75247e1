/**
 * Several ComfyUI servers (comfyUI.endpoints, issue 22): two in-process fakes of the real protocol
 * behind one pool and the real render queue. Each server gets one job at a time, jobs spread over
 * both, and a server that goes away mid-render takes no job with it.
 */
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli';
import { StvError } from '../../src/core/errors';
import { createComfyUIProvider } from '../../src/core/providers/comfyui';
import { ComfyUIPool } from '../../src/core/providers/comfyui/pool';
import { ComfyUIProvider } from '../../src/core/providers/comfyui/provider';
import { BUILTIN_MAPPING, builtinWorkflow } from '../../src/core/providers/comfyui/workflow';
import { RenderQueue, type RenderJobSnapshot } from '../../src/core/render/queue';
import { exportLocalGenSettings } from '../../src/core/settings/localGenSettings';
import { comfyUIEndpoints, readSettings, DEFAULT_SETTINGS } from '../../src/core/settings/schema';
import type { VideoProvider } from '../../src/core/providers/types';
import type { ResolvedScene } from '../../src/core/timeline/resolve';
import { providerPickItem, statusTooltip } from '../../src/vscode/statusFormat';
import { FakeComfyUI } from '../fakes/fakeComfyUI';
import { captureIo } from '../helpers/cliIo';
import { repoRoot } from '../helpers/paths';
import { until } from '../helpers/until';

const TINY = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');
const KEYFRAME = path.join(repoRoot, 'media/sample/keyframes/lighthouse.png');

const scene = (id: string): ResolvedScene => ({
  id,
  key: id,
  index: 0,
  title: id,
  prompt: `a lighthouse, ${id}`,
  keyframePath: KEYFRAME,
  width: 640,
  height: 352,
  fps: 16,
  numFrames: 33,
  seed: 7,
});

const renderRequest = {
  sceneId: 'x',
  prompt: 'p',
  keyframePath: KEYFRAME,
  width: 640,
  height: 352,
  numFrames: 33,
  fps: 16,
  seed: 1,
};

/** The fake stops answering at this step of its first job: connections reset, sockets dropped. */
const goAwayAtStep = (fake: FakeComfyUI, step: number) => {
  let gone = false;
  fake.opts.onStep = (s, f) => {
    if (s !== step || gone) return;
    gone = true;
    f.opts.refuse = true;
    f.dropSockets();
  };
};

/** Every MP4 published under the outputs (not the scratch folder), by scene folder. */
function publishedVideos(root: string): string[] {
  const found: string[] = [];
  for (const dir of readdirSync(root, { withFileTypes: true }))
    if (dir.isDirectory() && !dir.name.startsWith('.'))
      for (const f of readdirSync(path.join(root, dir.name))) if (f.endsWith('.mp4')) found.push(`${dir.name}/${f}`);
  return found.sort();
}

describe('several ComfyUI servers (comfyUI.endpoints)', function () {
  this.timeout(60_000);
  let a: FakeComfyUI;
  let b: FakeComfyUI;
  let out: string;

  const server = (fake: FakeComfyUI) =>
    new ComfyUIProvider({
      url: fake.url,
      workflow: builtinWorkflow(),
      mapping: BUILTIN_MAPPING,
      workflowName: 'built-in Wan 2.2 TI2V 5B',
      timeoutMs: 30_000,
      pollIntervalMs: 100,
      serverLostMs: 400,
    });
  const queueOn = (pool: ComfyUIPool) =>
    new RenderQueue({
      getProvider: () => Promise.resolve(pool),
      outputRootFor: () => path.join(out, 'renders'),
      artifactsRoot: path.join(out, 'runs'),
    });
  const renderAll = async (q: RenderQueue, ids: string[]): Promise<RenderJobSnapshot[]> => {
    const timelineFile = path.join(out, 'x.timeline.json');
    const jobs = ids.map((id) => q.enqueue({ timelineFile, scene: scene(id), providerId: 'comfyui-local' }));
    return Promise.all(jobs.map((j) => q.whenDone(j.jobId)));
  };

  beforeEach(async () => {
    a = await new FakeComfyUI({ videoFixture: TINY, stepDelayMs: 25 }).start();
    b = await new FakeComfyUI({ videoFixture: TINY, stepDelayMs: 25 }).start();
    out = mkdtempSync(path.join(os.tmpdir(), 'stv-pool-'));
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
    rmSync(out, { recursive: true, force: true });
  });

  it('spreads jobs over both servers, one at a time on each, two in flight', async () => {
    const pool = new ComfyUIPool([server(a), server(b)]);
    assert.equal(pool.slots, 2);
    const q = queueOn(pool);
    let maxRunning = 0;
    q.onDidChange(() => (maxRunning = Math.max(maxRunning, q.jobs().filter((j) => j.state === 'running').length)));
    const done = await renderAll(q, ['s1', 's2', 's3', 's4', 's5']);
    assert.deepEqual(
      done.map((d) => d.state),
      ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'],
    );
    assert.equal(maxRunning, 2, 'two jobs in flight at once');
    assert.equal(a.maxInFlight, 1, 'server A never held two of our prompts');
    assert.equal(b.maxInFlight, 1, 'server B never held two of our prompts');
    assert.ok(a.received.prompts.length >= 1 && b.received.prompts.length >= 1, 'both servers rendered');
    assert.equal(a.received.prompts.length + b.received.prompts.length, 5);
    assert.deepEqual(publishedVideos(path.join(out, 'renders')).length, 5);
  });

  it('moves the job of a server that goes away mid-render to the other one: finished once, none lost', async () => {
    goAwayAtStep(a, 3);
    const q = queueOn(new ComfyUIPool([server(a), server(b)]));
    const progress = new Map<string, { message?: string; fraction: number }[]>();
    q.onDidChange((j) => j.progress && progress.set(j.sceneId, [...(progress.get(j.sceneId) ?? []), j.progress]));
    const done = await renderAll(q, ['s1', 's2', 's3']);
    assert.deepEqual(
      done.map((d) => [d.sceneId, d.state]),
      [
        ['s1', 'succeeded'],
        ['s2', 'succeeded'],
        ['s3', 'succeeded'],
      ],
    );
    assert.equal(a.received.prompts.length, 1, 'the lost server got only the job it lost');
    assert.equal(b.received.prompts.length, 3, 'the other server rendered the moved job and the rest');
    assert.equal(b.maxInFlight, 1);
    // One video per scene in the outputs: nothing written twice, nothing lost.
    assert.deepEqual(
      publishedVideos(path.join(out, 'renders')).map((f) => f.split('/')[0]),
      ['s1', 's2', 's3'],
    );
    const sidecars = done.map(
      (d) => JSON.parse(readFileSync(d.artifact?.sidecarPath ?? '', 'utf8')) as { server: Record<string, unknown> },
    );
    assert.ok(sidecars.every((s) => s.server.comfyui === b.url));
    const moved = done.filter((_, i) => sidecars[i]?.server.movedFrom !== undefined);
    assert.equal(moved.length, 1, 'exactly one job was moved');
    const movedIndex = done.indexOf(moved[0] as RenderJobSnapshot);
    assert.match(JSON.stringify(sidecars[movedIndex]?.server.movedFrom), new RegExp(a.url.replace(/\./g, '\\.')));
    const seen = progress.get(moved[0]?.sceneId ?? '') ?? [];
    assert.ok(seen.some((p) => /went away during the render; the job moves to another server/.test(p.message ?? '')));
    for (let i = 1; i < seen.length; i++)
      assert.ok((seen[i]?.fraction ?? 0) >= (seen[i - 1]?.fraction ?? 0), 'progress never runs backwards');
  });

  it('moves a job once only: lost on both servers, it fails naming both', async () => {
    goAwayAtStep(a, 3);
    goAwayAtStep(b, 3);
    const q = queueOn(new ComfyUIPool([server(a), server(b)]));
    const [only] = await renderAll(q, ['s1']);
    assert.equal(only?.state, 'failed');
    assert.equal(only?.error?.code, 'UNREACHABLE');
    assert.match(only?.error?.message ?? '', /went away/);
    assert.ok(only?.error?.message.includes(a.url) && only.error.message.includes(b.url), only?.error?.message);
    assert.deepEqual(publishedVideos(path.join(out, 'renders')), []);
  });

  it('moves the job of a server that restarts and forgets the prompt', async () => {
    let crashed = false;
    a.opts.onStep = (s, f) => {
      if (s === 3 && !crashed) {
        crashed = true;
        f.crash();
      }
    };
    const q = queueOn(new ComfyUIPool([server(a), server(b)]));
    const [only] = await renderAll(q, ['s1']);
    assert.equal(only?.state, 'succeeded', JSON.stringify(only?.error));
    assert.equal(b.received.prompts.length, 1);
  });

  it('does not move a job that failed for its own reasons (a node error)', async () => {
    a.opts.failNode = { nodeId: '9', message: 'bad sampler' };
    b.opts.failNode = { nodeId: '9', message: 'bad sampler' };
    const q = queueOn(new ComfyUIPool([server(a), server(b)]));
    const [only] = await renderAll(q, ['s1']);
    assert.equal(only?.state, 'failed');
    assert.equal(only?.error?.code, 'EXECUTION_ERROR');
    assert.equal(a.received.prompts.length + b.received.prompts.length, 1);
  });

  it('gives a job a server that answers when the first one listed is down from the start', async () => {
    await a.stop();
    const q = queueOn(new ComfyUIPool([server(a), server(b)]));
    const done = await renderAll(q, ['s1', 's2']);
    assert.deepEqual(
      done.map((d) => d.state),
      ['succeeded', 'succeeded'],
    );
    assert.equal(b.received.prompts.length, 2);
    a = await new FakeComfyUI({ videoFixture: TINY }).start(); // afterEach stops it again
  });

  it('reports health per server: degraded with one down, listed in the tooltip, the picker and the CLI', async () => {
    const pool = new ComfyUIPool([server(a), server(b)]);
    const up = await pool.health();
    assert.equal(up.state, 'ok');
    assert.match(up.summary, /^2 of 2 ComfyUI servers ok, 0 rendering$/);
    b.opts.refuse = true;
    const h = await pool.health();
    assert.equal(h.state, 'degraded');
    assert.equal(h.error?.code, 'UNREACHABLE');
    assert.deepEqual(
      h.servers?.map((s) => [s.endpoint, s.state, s.busy]),
      [
        [a.url, 'ok', false],
        [b.url, 'down', false],
      ],
    );
    const tip = statusTooltip('comfyui-local', h);
    assert.match(tip, new RegExp(`\\| Server 1 \\| \\$\\(pass-filled\\) ${a.url}: ok — ComfyUI 0\\.3\\.99-fake`));
    assert.match(tip, new RegExp(`\\| Server 2 \\| \\$\\(error\\) ${b.url}: down — `));
    assert.doesNotMatch(tip, /\| Endpoint \|/);
    const busy = { ...h, servers: h.servers?.map((s, i) => ({ ...s, busy: i === 0 })) };
    assert.match(statusTooltip('comfyui-local', busy), new RegExp(`${a.url}: ok, rendering — `));
    assert.match(
      providerPickItem('comfyui-local', busy, 'comfyui-local').detail,
      new RegExp(`${a.url} ok \\(rendering\\)`),
    );
    assert.equal(providerPickItem('comfyui-local', h, 'comfyui-local').detail, `${a.url} ok · ${b.url} down`);
    const cli = captureIo();
    await main(['health', '--provider', 'comfyui-local', '--endpoint', `${a.url},${b.url}`], cli.io);
    assert.match(cli.out(), new RegExp(`comfyui-local at ${a.url}, ${b.url}: degraded — 1 of 2 ComfyUI servers ok`));
    assert.match(cli.out(), new RegExp(`\\n  ${a.url}: ok — `));
    assert.match(cli.out(), new RegExp(`\\n  ${b.url}: down — `));
    b.opts.refuse = false;
    assert.equal((await pool.health()).state, 'ok');
    assert.equal((await pool.health()).servers?.length, 2);
  });

  it('renders from the CLI on both servers given as one comma-separated --endpoint', async () => {
    const ws = mkdtempSync(path.join(out, 'ws-'));
    cpSync(path.join(repoRoot, 'media/sample'), ws, {
      recursive: true,
      filter: (src) => !/renders|artifacts/.test(src),
    });
    const t = captureIo();
    const code = await main(
      [
        'render',
        path.join(ws, 'sample.timeline.json'),
        ...['--scene', 'lighthouse', '--scene', 'forest-stream'],
        ...['--provider', 'comfyui-local', '--endpoint', `${a.url},${b.url}`],
        ...['--workflow', path.join(repoRoot, 'test/fixtures/comfyui/model-free.workflow.json')],
        ...['--mapping', path.join(repoRoot, 'test/fixtures/comfyui/model-free.mapping.json')],
        '--json',
      ],
      t.io,
    );
    assert.equal(code, 0, t.err());
    const summary = JSON.parse(t.out().trim().split('\n').pop() as string) as { videos: string[] };
    assert.equal(summary.videos.length, 2);
    assert.deepEqual([a.received.prompts.length, b.received.prompts.length], [1, 1], 'one scene on each server');
  });

  it('says health down when no server answers', async () => {
    a.opts.refuse = true;
    b.opts.refuse = true;
    const h = await new ComfyUIPool([server(a), server(b)]).health();
    assert.equal(h.state, 'down');
    assert.equal(h.error?.code, 'UNREACHABLE');
  });

  it('gives a waiting job a server that the health check finds back up, without waiting for the busy one', async () => {
    const pool = new ComfyUIPool([server(a), server(b)]);
    a.opts.refuse = true;
    assert.equal((await pool.health()).servers?.[0]?.state, 'down');
    b.opts.stepDelayMs = 400; // B's job outlasts the rest of this test
    const scratch = mkdtempSync(path.join(out, 's-'));
    const req = (sceneId: string) => ({ ...renderRequest, sceneId });
    let longDone = false;
    const long = pool
      .render(req('long'), { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined })
      .finally(() => (longDone = true));
    const messages: string[] = [];
    const waiting = pool.render(req('waiting'), {
      signal: new AbortController().signal,
      scratchDir: scratch,
      onProgress: (p) => p.message && messages.push(p.message),
    });
    await until('the second job to wait for a server', () => messages.includes('Waiting for a free ComfyUI server.'));
    a.opts.refuse = false;
    await pool.health();
    const r = await waiting;
    assert.equal(r.server.comfyui, a.url);
    assert.equal(longDone, false, 'it did not wait for the busy server');
    assert.equal((await long).server.comfyui, b.url);
  });

  it('stops waiting for a server when the job is cancelled', async () => {
    a.opts.stepDelayMs = 200;
    b.opts.stepDelayMs = 200;
    const pool = new ComfyUIPool([server(a), server(b)]);
    const holders = [new AbortController(), new AbortController()];
    const scratch = mkdtempSync(path.join(out, 's-'));
    const req = renderRequest;
    const busy = holders.map((c) =>
      pool.render(req, { signal: c.signal, scratchDir: scratch, onProgress: () => undefined }).catch((e: unknown) => e),
    );
    const waiting = new AbortController();
    const third = pool.render(req, { signal: waiting.signal, scratchDir: scratch, onProgress: () => undefined });
    waiting.abort();
    await assert.rejects(third, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    for (const c of holders) c.abort();
    await Promise.all(busy);
  });
});

describe('comfyUI.endpoints and comfyUI.url', () => {
  const read = (values: Record<string, unknown>) => readSettings((key) => values[key]);

  it('uses the endpoints when any are listed, else the url alone; a server listed twice counts once', () => {
    assert.deepEqual(comfyUIEndpoints(DEFAULT_SETTINGS.comfyUI), ['http://127.0.0.1:8188']);
    const { settings, problems } = read({
      'comfyUI.url': 'http://127.0.0.1:9000',
      'comfyUI.endpoints': ['http://127.0.0.1:8188', 'http://gpu-box:8188/', 'http://gpu-box:8188'],
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(comfyUIEndpoints(settings.comfyUI), ['http://127.0.0.1:8188', 'http://gpu-box:8188/']);
    assert.deepEqual(comfyUIEndpoints(read({ 'comfyUI.url': 'http://127.0.0.1:9000' }).settings.comfyUI), [
      'http://127.0.0.1:9000',
    ]);
  });

  it('refuses a list with an entry that is not an http(s) URL, saying which, and falls back to comfyUI.url', () => {
    const { settings, problems } = read({ 'comfyUI.endpoints': ['http://127.0.0.1:8188', 'file:///etc/passwd'] });
    assert.deepEqual(settings.comfyUI.endpoints, []);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]?.message ?? '',
      /comfyUI\.endpoints .* is not valid \(at 1\): each endpoint must be an http/,
    );
    assert.match(
      read({ 'comfyUI.endpoints': 'http://127.0.0.1:8188' }).problems[0]?.message ?? '',
      /comfyUI\.endpoints/,
    );
  });

  it("exports to gemDirect1's one comfyUIUrl the server renders go to first", () => {
    const settings = structuredClone(DEFAULT_SETTINGS);
    settings.comfyUI.endpoints = ['http://127.0.0.1:8190', 'http://127.0.0.1:8191'];
    assert.equal(exportLocalGenSettings(settings).comfyUIUrl, 'http://127.0.0.1:8190');
    assert.equal(exportLocalGenSettings(DEFAULT_SETTINGS).comfyUIUrl, DEFAULT_SETTINGS.comfyUI.url);
  });

  it('builds one provider for one server and a pool with a slot per server for several', async () => {
    const one = await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, endpoints: ['http://127.0.0.1:8190'] });
    assert.ok(one instanceof ComfyUIProvider);
    assert.equal(one.endpoint, 'http://127.0.0.1:8190');
    const two = await createComfyUIProvider({
      ...DEFAULT_SETTINGS.comfyUI,
      endpoints: ['http://127.0.0.1:8190', 'http://127.0.0.1:8191'],
    });
    assert.ok(two instanceof ComfyUIPool);
    assert.equal(two.slots, 2);
    assert.equal(two.endpoint, 'http://127.0.0.1:8190, http://127.0.0.1:8191');
  });
});

describe('placing jobs on servers that are down', () => {
  /** A server that never answers: each health check takes `delayMs` and says down; it renders nothing. */
  const deadServer = (endpoint: string, delayMs: number) => {
    const probes = { count: 0 };
    const provider: VideoProvider = {
      id: 'comfyui-local',
      endpoint,
      async health() {
        probes.count++;
        await new Promise((r) => setTimeout(r, delayMs));
        return {
          provider: 'comfyui-local',
          endpoint,
          state: 'down',
          summary: 'nothing answers',
          checkedAt: new Date().toISOString(),
        };
      },
      render: () => Promise.reject(new StvError('UNREACHABLE', `${endpoint} never renders in this test.`)),
    };
    return { provider, probes };
  };
  const place = (pool: ComfyUIPool, n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        pool
          .render(renderRequest, {
            signal: new AbortController().signal,
            scratchDir: os.tmpdir(),
            onProgress: () => undefined,
          })
          .then(
            () => assert.fail('a server that is down rendered'),
            (e: unknown) => e,
          ),
      ),
    );

  it('does not probe a server found down again for every job: three jobs fail at once, naming both servers', async () => {
    const a = deadServer('http://10.0.0.1:8188', 5);
    const b = deadServer('http://10.0.0.2:8188', 5);
    const pool = new ComfyUIPool([a.provider, b.provider]);
    assert.equal((await pool.health()).state, 'down');
    const errors = await place(pool, 3);
    for (const e of errors) {
      assert.ok(e instanceof StvError && e.code === 'UNREACHABLE', String(e));
      assert.match(e.message, /10\.0\.0\.1:8188 \(nothing answers\); http:\/\/10\.0\.0\.2:8188 \(nothing answers\)/);
    }
    assert.deepEqual([a.probes.count, b.probes.count], [1, 1], 'only the health check probed them');
  });

  it('leaves no job waiting for a server another job was probing when that probe fails', async () => {
    const a = deadServer('http://10.0.0.1:8188', 40);
    const b = deadServer('http://10.0.0.2:8188', 40);
    // Probes overlap (40 ms each); a server is probed again only after a second, so the jobs end.
    const pool = new ComfyUIPool([a.provider, b.provider], undefined, 1_000);
    await pool.health();
    await new Promise((r) => setTimeout(r, 1_100)); // both are due for a probe again
    const errors = await Promise.race([
      place(pool, 3),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a job still waits after 5 s')), 5_000)),
    ]);
    assert.equal(errors.length, 3);
    for (const e of errors) assert.ok(e instanceof StvError && e.code === 'UNREACHABLE', String(e));
    assert.deepEqual([a.probes.count, b.probes.count], [2, 2], 'the health check and one probe each');
  });
});
