/**
 * Issue 13: renders from VS Code stayed at "Uploading the keyframe · 0%". In the extension host the
 * process-wide undici dispatcher (Symbol.for('undici.globalDispatcher.1')) is not ours: something
 * there calls the global `fetch` first, so Node's internal undici installs its pool, and our bundled
 * undici's request() went through it. On Node 24 that pool never completed the keyframe upload.
 * These tests put the client in the same situation outside VS Code.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ComfyClient } from '../../src/core/providers/comfyui/client';
import { ComfyUIProvider } from '../../src/core/providers/comfyui/provider';
import { BUILTIN_MAPPING, builtinWorkflow } from '../../src/core/providers/comfyui/workflow';
import type { RenderProgress } from '../../src/core/providers/types';
import { FakeComfyUI } from '../fakes/fakeComfyUI';
import { repoRoot } from '../helpers/paths';

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const KEYFRAME = path.join(repoRoot, 'media/sample/keyframes/lighthouse.png');
const slot = globalThis as unknown as Record<symbol, unknown>;

/** Node 24, as code-server runs the extension host: the test tools' copy, or STV_NODE24_DIR. */
function node24(): string | undefined {
  const dirs = [process.env.STV_NODE24_DIR, path.join(os.homedir(), '.cache/stv-tools/node_modules/node/bin')];
  return dirs.map((d) => d && path.join(d, 'node')).find((p): p is string => !!p && existsSync(p));
}

describe('ComfyUI client inside a host that owns the process-wide HTTP pool (issue 13)', function () {
  this.timeout(30_000);
  let fake: FakeComfyUI;
  let scratch: string;
  let saved: unknown;

  beforeEach(async () => {
    fake = await new FakeComfyUI({ videoFixture: path.join(repoRoot, 'test/fixtures/video/tiny.mp4') }).start();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-comfy-host-'));
    saved = slot[GLOBAL_DISPATCHER];
  });
  afterEach(async () => {
    slot[GLOBAL_DISPATCHER] = saved;
    await fake.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('renders, keyframe upload included, when the process-wide pool never answers', async () => {
    // Like the foreign pool in the extension host: it takes every request and never completes one.
    let taken = 0;
    slot[GLOBAL_DISPATCHER] = {
      dispatch: () => ((taken += 1), true),
      close: async () => undefined,
      destroy: async () => undefined,
      on: () => undefined,
    };
    const lines: string[] = [];
    const provider = new ComfyUIProvider({
      url: fake.url,
      workflow: builtinWorkflow(),
      mapping: BUILTIN_MAPPING,
      workflowName: 'built-in',
      timeoutMs: 20_000,
      pollIntervalMs: 100,
      log: (l) => lines.push(l),
    });
    const stages: string[] = [];
    const result = await provider.render(
      {
        sceneId: 'lighthouse',
        prompt: 'a lighthouse',
        keyframePath: KEYFRAME,
        width: 640,
        height: 352,
        numFrames: 33,
        fps: 16,
        seed: 1,
      },
      {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: (p: RenderProgress) => void stages.push(p.stage),
      },
    );
    assert.ok(existsSync(result.videoPath));
    assert.equal(taken, 0, 'no request went through the process-wide pool');
    assert.equal(fake.received.uploads.length, 1, 'the keyframe reached ComfyUI');
    // The log has each step with its time since the start.
    for (const step of [
      /uploading the keyframe/,
      /uploaded as scene-to-video\/lighthouse-\w+\.png in \d+ ms/,
      /queued prompt \S+ in \d+ ms/,
      /progress: /,
      /downloaded in \d+ ms/,
    ])
      assert.ok(
        lines.some((l) => step.test(l) && /^comfyui lighthouse \+\d+ ms: /.test(l)),
        `a log line like ${step}:\n${lines.join('\n')}`,
      );
  });

  it('ends a keyframe upload that gets no answer with TIMEOUT, not a wait forever', async () => {
    fake.opts.hangUpload = true;
    const t0 = Date.now();
    await assert.rejects(
      new ComfyClient(fake.url, 1500).uploadImage(KEYFRAME),
      (e: { code?: string; message?: string }) =>
        e.code === 'TIMEOUT' && /keyframe upload within 2 s/.test(e.message ?? ''),
    );
    assert.ok(Date.now() - t0 < 5000);
  });

  it("uploads under Node 24 after the global fetch has installed Node's own pool (as in the extension host)", async function () {
    const node = node24();
    if (!node) return this.skip(); // scripts/install-test-tools.sh installs it; the VS Code layer covers the same path
    const script = `
      const { ComfyClient } = require(${JSON.stringify(path.join(repoRoot, 'out/src/core/providers/comfyui/client.js'))});
      (async () => {
        await (await fetch(process.argv[1] + '/system_stats')).text(); // Node's internal undici takes the global slot
        const name = await new ComfyClient(process.argv[1], 5000).uploadImage(process.argv[2]);
        console.log(JSON.stringify({ name, node: process.version }));
      })().catch((e) => { console.log(JSON.stringify({ error: String(e.code) + ' ' + e.message })); process.exitCode = 1; });`;
    const out = await new Promise<string>((resolve) =>
      execFile(node, ['-e', script, fake.url, KEYFRAME], { timeout: 20_000 }, (_e, stdout) => resolve(stdout)),
    );
    const r = JSON.parse(out.trim() || '{"error":"no output"}') as { name?: string; node?: string; error?: string };
    assert.equal(r.error, undefined);
    assert.match(r.node ?? '', /^v24\./);
    assert.match(r.name ?? '', /^scene-to-video\/lighthouse-\w{12}\.png$/);
  });
});
