import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../../src/core/errors';
import { FastVideoProvider } from '../../src/core/providers/fastvideo/provider';
import { AdapterClient } from '../../src/core/providers/fastvideo/client';
import type { RenderProgress, RenderRequest } from '../../src/core/providers/types';
import { startTestAdapter, type TestAdapter } from '../helpers/adapterProcess';
import { repoRoot } from '../helpers/paths';
import { probeMp4 } from '../helpers/probe';
import { TcpProxy } from '../helpers/tcpProxy';

const request = (over: Partial<RenderRequest> = {}): RenderRequest => ({
  sceneId: 'lighthouse',
  prompt: 'a lighthouse at dusk',
  negativePrompt: 'blurry',
  keyframePath: path.join(repoRoot, 'media/sample/keyframes/lighthouse.png'),
  width: 256,
  height: 256,
  numFrames: 17,
  fps: 8,
  seed: 11,
  ...over,
});

/** Remembers the adapter job ids a provider submits, to ask the adapter about them afterwards. */
function recordJobIds(provider: FastVideoProvider): string[] {
  const ids: string[] = [];
  const submit = provider.client.submit.bind(provider.client);
  provider.client.submit = async (...args) => {
    const id = await submit(...args);
    ids.push(id);
    return id;
  };
  return ids;
}

describe('FastVideo provider against the real adapter (preview backend)', function () {
  this.timeout(60_000);
  let adapter: TestAdapter;
  let scratch: string;
  before(async () => {
    adapter = await startTestAdapter();
  });
  after(async () => adapter?.dispose());
  beforeEach(() => (scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-scratch-'))));
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('reports health: up, preview, not AI', async () => {
    const h = await new FastVideoProvider({ endpoint: adapter.url }).health();
    assert.equal(h.state, 'ok');
    assert.equal(h.notAi, true);
    assert.match(h.summary, /preview backend/);
  });

  it("renders with monotonic progress and returns the adapter's MP4", async () => {
    const progress: RenderProgress[] = [];
    // A 720p clip: long enough to encode (about a second here) for ffmpeg to report progress often.
    const r = await new FastVideoProvider({ endpoint: adapter.url }).render(
      request({ width: 1280, height: 704, numFrames: 121 }),
      { signal: new AbortController().signal, scratchDir: scratch, onProgress: (p) => progress.push(p) },
    );
    assert.equal(r.videoIsTemporary, false);
    assert.ok(r.videoPath.startsWith(adapter.outputRoot));
    assert.deepEqual(probeMp4(r.videoPath), { codec: 'h264', size: [1280, 704], fps: 8, frames: 121 });
    assert.equal(r.seed, 11);
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['NOT_AI'],
    );
    const fractions = progress.map((p) => p.fraction);
    assert.ok(progress.length >= 5, `only ${progress.length} progress events`);
    assert.deepEqual(
      fractions,
      [...fractions].sort((a, b) => a - b),
    );
    assert.ok(progress.some((p) => p.stage === 'encoding'));
  });

  it("does not blame the preview backend for not being the scene's model (NOT_AI says it all)", async () => {
    const r = await new FastVideoProvider({ endpoint: adapter.url }).render(
      request({ numFrames: 9, model: 'Wan-AI/Wan2.2-TI2V-5B-Diffusers' }),
      { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined },
    );
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['NOT_AI'],
    );
  });

  it("downloads the MP4 over HTTP when the adapter's files are not local", async () => {
    const r = await new FastVideoProvider({ endpoint: adapter.url, fetchVideo: 'always' }).render(request(), {
      signal: new AbortController().signal,
      scratchDir: scratch,
      onProgress: () => undefined,
    });
    assert.equal(r.videoIsTemporary, true);
    assert.ok(r.videoPath.startsWith(scratch));
    assert.equal(probeMp4(r.videoPath).frames, 17);
    assert.ok((r.timings.downloadMs ?? -1) >= 0);
  });

  it('cancel reaches the adapter: the job ends cancelled on the server', async () => {
    const client = new AdapterClient({ endpoint: adapter.url });
    const ac = new AbortController();
    let jobSeen = false;
    const provider = new FastVideoProvider({ endpoint: adapter.url });
    const ids = recordJobIds(provider);
    const p = provider.render(request({ width: 640, height: 352, numFrames: 241 }), {
      signal: ac.signal,
      scratchDir: scratch,
      onProgress: (pr) => {
        if (pr.stage === 'encoding' && !jobSeen) {
          jobSeen = true;
          ac.abort();
        }
      },
    });
    await assert.rejects(p, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    assert.equal(ids.length, 1);
    assert.equal((await client.job(ids[0] as string)).status, 'cancelled');
    const h = await client.health();
    assert.equal(h.runningJobId ?? null, null, 'nothing is still rendering on the adapter');
    assert.equal(h.queueDepth, 0);
  });

  it('a cancel that arrives while the job is being submitted still stops it on the adapter', async () => {
    const client = new AdapterClient({ endpoint: adapter.url });
    const provider = new FastVideoProvider({ endpoint: adapter.url });
    const ac = new AbortController();
    // The user cancels just as the POST /jobs goes out.
    const submit = provider.client.submit.bind(provider.client);
    provider.client.submit = (...args) => {
      ac.abort();
      return submit(...args);
    };
    const ids = recordJobIds(provider);
    const p = provider.render(request({ width: 640, height: 352, numFrames: 241 }), {
      signal: ac.signal,
      scratchDir: scratch,
      onProgress: () => undefined,
    });
    await assert.rejects(p, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    assert.equal(ids.length, 1, 'the submit completed, so the job id is known and can be cancelled');
    for (const id of ids)
      assert.equal((await client.job(id)).status, 'cancelled', 'no orphan job keeps the adapter busy');
    const h = await client.health();
    assert.equal(h.runningJobId ?? null, null);
    assert.equal(h.queueDepth, 0);
  });

  it('stops a render that outlives fastVideo.requestTimeoutSeconds: TIMEOUT here, cancelled there', async () => {
    const client = new AdapterClient({ endpoint: adapter.url });
    // A job ahead in the adapter's queue holds ours back, so the deadline passes while it waits.
    const blocker = await client.submit({
      prompt: 'blocker',
      width: 640,
      height: 352,
      numFrames: 241,
      fps: 8,
      seed: 1,
    });
    try {
      const provider = new FastVideoProvider({ endpoint: adapter.url, renderTimeoutMs: 150 });
      const ids = recordJobIds(provider);
      await assert.rejects(
        provider.render(request(), {
          signal: new AbortController().signal,
          scratchDir: scratch,
          onProgress: () => undefined,
        }),
        (e: unknown) => e instanceof StvError && e.code === 'TIMEOUT' && /requestTimeoutSeconds/.test(e.hint ?? ''),
      );
      assert.equal((await client.job(ids[0] as string)).status, 'cancelled');
    } finally {
      await client.cancel(blocker);
    }
  });

  it('reconnects when the progress stream drops mid-job and still finishes', async () => {
    const proxy = await new TcpProxy(adapter.port).start();
    try {
      let cuts = 0;
      const r = await new FastVideoProvider({ endpoint: proxy.url }).render(
        request({ numFrames: 121, width: 640, height: 352 }),
        {
          signal: new AbortController().signal,
          scratchDir: scratch,
          onProgress: (p) => {
            if (p.stage === 'encoding' && cuts < 2 && p.fraction > 0.2 * (cuts + 1)) cuts += proxy.cutAll() > 0 ? 1 : 0;
          },
        },
      );
      assert.ok(cuts >= 1, 'the stream was cut at least once');
      assert.equal(probeMp4(r.videoPath).frames, 121);
    } finally {
      await proxy.stop();
    }
  });

  it('says UNREACHABLE with a hint when nothing listens', async () => {
    const p = new FastVideoProvider({ endpoint: 'http://127.0.0.1:9' });
    const h = await p.health();
    assert.equal(h.state, 'down');
    assert.equal(h.error?.code, 'UNREACHABLE');
    await assert.rejects(
      p.render(request(), { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined }),
      (e: unknown) => e instanceof StvError && e.code === 'UNREACHABLE' && /Start FastVideo adapter/.test(e.hint ?? ''),
    );
  });

  it("reports the adapter's own error codes with their hints", async () => {
    await assert.rejects(
      new FastVideoProvider({ endpoint: adapter.url }).render(request({ width: 1000 }), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: () => undefined,
      }),
      (e: unknown) => e instanceof StvError && e.code === 'INVALID_REQUEST' && /992 or 1008/.test(e.message),
    );
    await assert.rejects(
      new FastVideoProvider({ endpoint: adapter.url }).render(
        request({ keyframePath: path.join(scratch, 'gone.png') }),
        { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined },
      ),
      (e: unknown) => e instanceof StvError && e.code === 'KEYFRAME_MISSING',
    );
  });
});

describe('FastVideo provider when the adapter dies mid-render', function () {
  this.timeout(60_000);
  it('fails with ADAPTER_CRASHED and leaves no partial output', async () => {
    const adapter = await startTestAdapter();
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-scratch-'));
    try {
      let killed = false;
      const p = new FastVideoProvider({ endpoint: adapter.url, sseRetries: 1, pollIntervalMs: 100 }).render(
        request({ width: 640, height: 352, numFrames: 241 }),
        {
          signal: new AbortController().signal,
          scratchDir: scratch,
          onProgress: (pr) => {
            if (pr.stage === 'encoding' && !killed) {
              killed = true;
              adapter.kill();
            }
          },
        },
      );
      await assert.rejects(
        p,
        (e: unknown) => e instanceof StvError && e.code === 'ADAPTER_CRASHED' && /Restart/.test(e.hint ?? ''),
      );
      // The adapter wrote only its hidden temp file, never a finished-looking MP4, and nothing reached scratch.
      const leftovers = existsSync(path.join(adapter.outputRoot, 'lighthouse'))
        ? readdirSync(path.join(adapter.outputRoot, 'lighthouse'))
        : [];
      assert.deepEqual(
        leftovers.filter((n) => n.endsWith('.mp4')),
        [],
      );
      assert.deepEqual(readdirSync(scratch), []);
    } finally {
      await adapter.dispose();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('FastVideo provider with a bearer token', function () {
  this.timeout(60_000);
  let adapter: TestAdapter;
  let scratch: string;
  before(async () => {
    adapter = await startTestAdapter({ token: 'tok-3f9a' });
    scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-scratch-'));
  });
  after(async () => {
    await adapter?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('sends the token when configured and reports UNAUTHORIZED without it or with a wrong one', async () => {
    const opts = () => ({ signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined });
    for (const token of [undefined, 'wrong']) {
      await assert.rejects(
        new FastVideoProvider({ endpoint: adapter.url, token }).render(request(), opts()),
        (e: unknown) => e instanceof StvError && e.code === 'UNAUTHORIZED',
      );
    }
    const r = await new FastVideoProvider({ endpoint: adapter.url, token: 'tok-3f9a', fetchVideo: 'always' }).render(
      request({ numFrames: 9 }),
      opts(),
    );
    assert.equal(probeMp4(r.videoPath).frames, 9);
    assert.equal((await new FastVideoProvider({ endpoint: adapter.url, token: 'tok-3f9a' }).health()).state, 'ok');
  });
});

describe('FastVideo provider when the adapter restarts mid-render', function () {
  this.timeout(60_000);
  it('reports ADAPTER_CRASHED when the restarted adapter no longer knows the job, then renders again', async () => {
    const first = await startTestAdapter();
    let second: TestAdapter | undefined;
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-scratch-'));
    try {
      const provider = new FastVideoProvider({ endpoint: first.url, pollIntervalMs: 100 });
      let restarting: Promise<TestAdapter> | undefined;
      const p = provider.render(request({ width: 640, height: 352, numFrames: 241 }), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: (pr) => {
          if (pr.stage === 'encoding' && !restarting) {
            first.kill();
            // Same port and output folder, as "Restart adapter" does.
            restarting = new Promise((r) => first.child.once('exit', r)).then(() =>
              startTestAdapter({ port: first.port, outputRoot: first.outputRoot }),
            );
          }
        },
      });
      await assert.rejects(
        p,
        (e: unknown) =>
          e instanceof StvError && e.code === 'ADAPTER_CRASHED' && /Restart the adapter/.test(e.hint ?? ''),
      );
      second = await restarting;
      const r = await provider.render(request({ numFrames: 9 }), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: () => undefined,
      });
      assert.equal(probeMp4(r.videoPath).frames, 9);
    } finally {
      await second?.dispose();
      await first.dispose();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe("FastVideo provider against the adapter's fastvideo backend (FastVideo's library faked)", function () {
  this.timeout(90_000);
  let adapter: TestAdapter;
  let scratch: string;
  const opts = () => ({ signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined });
  const loaded = async (p: FastVideoProvider) => {
    for (let i = 0; i < 600; i++) {
      const h = await p.health();
      if (h.state !== 'degraded') return h;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the model never finished loading');
  };
  before(async () => {
    adapter = await startTestAdapter({ fakeFastVideo: true });
    scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-scratch-'));
  });
  after(async () => {
    await adapter?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reports an AI model that ignores keyframes, and passes on what the model changed', async () => {
    const provider = new FastVideoProvider({ endpoint: adapter.url });
    const h = await loaded(provider);
    assert.equal(h.state, 'ok');
    assert.equal(h.notAi, false);
    assert.equal(h.followsKeyframe, false);
    assert.equal(h.model, 'FastVideo/FastWan2.2-TI2V-5B-Diffusers');
    assert.match(h.summary, /FastWan2\.2-TI2V-5B-Diffusers loaded/);
    const r = await provider.render(
      request({ width: 1280, height: 704, numFrames: 9, model: 'Wan-AI/Wan2.2-TI2V-5B-Diffusers' }),
      opts(),
    );
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['KEYFRAME_IGNORED', 'SIZE_CHANGED', 'OTHER'],
    );
    assert.match(
      r.warnings[2]?.message ?? '',
      /asks for the model Wan-AI\/Wan2\.2-TI2V-5B-Diffusers, but the adapter .* serves FastVideo\/FastWan2\.2-TI2V-5B-Diffusers/,
    );
    assert.deepEqual([r.width, r.height], [832, 480], 'the size FastVideo really rendered, not the one asked for');
    assert.deepEqual(probeMp4(r.videoPath).size, [832, 480]);
    assert.equal(r.backend, 'fastvideo');
  });

  it("maps a CUDA out-of-memory failure to CUDA_OOM with the adapter's hint", async () => {
    const provider = new FastVideoProvider({ endpoint: adapter.url });
    await loaded(provider);
    await assert.rejects(
      provider.render(request({ prompt: 'oom please', keyframePath: undefined }), opts()),
      (e: unknown) => e instanceof StvError && e.code === 'CUDA_OOM' && !!e.hint,
    );
  });

  it('cancel force-stops a running generation on the adapter, which reloads and renders the next job', async () => {
    const provider = new FastVideoProvider({ endpoint: adapter.url });
    const client = new AdapterClient({ endpoint: adapter.url });
    await loaded(provider);
    const ids = recordJobIds(provider);
    const ac = new AbortController();
    const p = provider.render(request({ prompt: 'slow clip', keyframePath: undefined }), {
      signal: ac.signal,
      scratchDir: scratch,
      onProgress: () => undefined,
    });
    for (let i = 0; i < 300 && (await client.health()).runningJobId == null; i++)
      await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    const job = await client.job(ids[0] as string);
    assert.equal(job.status, 'cancelled');
    assert.equal(job.forced, true, 'FastVideo cannot be interrupted: the adapter stopped its worker');
    const h = await loaded(provider);
    assert.equal(h.state, 'ok');
    const r = await provider.render(
      request({ prompt: 'after the cancel', keyframePath: undefined, numFrames: 9 }),
      opts(),
    );
    assert.equal(probeMp4(r.videoPath).frames, 9);
  });
});
