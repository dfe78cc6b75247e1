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

  it('renders with monotonic progress and returns the adapter\'s MP4', async () => {
    const progress: RenderProgress[] = [];
    const r = await new FastVideoProvider({ endpoint: adapter.url }).render(request(), { signal: new AbortController().signal, scratchDir: scratch, onProgress: (p) => progress.push(p) });
    assert.equal(r.videoIsTemporary, false);
    assert.ok(r.videoPath.startsWith(adapter.outputRoot));
    assert.deepEqual(probeMp4(r.videoPath), { codec: 'h264', size: [256, 256], fps: 8, frames: 17 });
    assert.equal(r.seed, 11);
    assert.deepEqual(r.warnings.map((w) => w.code), ['NOT_AI']);
    const fractions = progress.map((p) => p.fraction);
    assert.ok(progress.length >= 5, `only ${progress.length} progress events`);
    assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b));
    assert.ok(progress.some((p) => p.stage === 'encoding'));
  });

  it('downloads the MP4 over HTTP when the adapter\'s files are not local', async () => {
    const r = await new FastVideoProvider({ endpoint: adapter.url, fetchVideo: 'always' }).render(request(), { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined });
    assert.equal(r.videoIsTemporary, true);
    assert.ok(r.videoPath.startsWith(scratch));
    assert.equal(probeMp4(r.videoPath).frames, 17);
    assert.ok((r.timings.downloadMs ?? -1) >= 0);
  });

  it('cancel reaches the adapter: the job ends cancelled on the server', async () => {
    const client = new AdapterClient({ endpoint: adapter.url });
    const ac = new AbortController();
    let jobSeen = false;
    const p = new FastVideoProvider({ endpoint: adapter.url }).render(request({ width: 640, height: 352, numFrames: 241 }), {
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
    const h = await client.health();
    assert.equal(h.runningJobId ?? null, null, 'nothing is still rendering on the adapter');
    assert.equal(h.queueDepth, 0);
  });

  it('reconnects when the progress stream drops mid-job and still finishes', async () => {
    const proxy = await new TcpProxy(adapter.port).start();
    try {
      let cuts = 0;
      const r = await new FastVideoProvider({ endpoint: proxy.url }).render(request({ numFrames: 121, width: 640, height: 352 }), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: (p) => {
          if (p.stage === 'encoding' && cuts < 2 && p.fraction > 0.2 * (cuts + 1)) cuts += proxy.cutAll() > 0 ? 1 : 0;
        },
      });
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
    await assert.rejects(p.render(request(), { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined }), (e: unknown) => e instanceof StvError && e.code === 'UNREACHABLE' && /Start FastVideo adapter/.test(e.hint ?? ''));
  });

  it('reports the adapter\'s own error codes with their hints', async () => {
    await assert.rejects(
      new FastVideoProvider({ endpoint: adapter.url }).render(request({ width: 1000 }), { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined }),
      (e: unknown) => e instanceof StvError && e.code === 'INVALID_REQUEST' && /992 or 1008/.test(e.message),
    );
    await assert.rejects(
      new FastVideoProvider({ endpoint: adapter.url }).render(request({ keyframePath: path.join(scratch, 'gone.png') }), { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined }),
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
      const p = new FastVideoProvider({ endpoint: adapter.url, sseRetries: 1, pollIntervalMs: 100 }).render(request({ width: 640, height: 352, numFrames: 241 }), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: (pr) => {
          if (pr.stage === 'encoding' && !killed) {
            killed = true;
            if (adapter.child.pid) process.kill(-adapter.child.pid, 'SIGKILL');
          }
        },
      });
      await assert.rejects(p, (e: unknown) => e instanceof StvError && e.code === 'ADAPTER_CRASHED' && /Restart/.test(e.hint ?? ''));
      // The adapter wrote only its hidden temp file, never a finished-looking MP4, and nothing reached scratch.
      const leftovers = existsSync(path.join(adapter.outputRoot, 'lighthouse')) ? readdirSync(path.join(adapter.outputRoot, 'lighthouse')) : [];
      assert.deepEqual(leftovers.filter((n) => n.endsWith('.mp4')), []);
      assert.deepEqual(readdirSync(scratch), []);
    } finally {
      await adapter.dispose();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
