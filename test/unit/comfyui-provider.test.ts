import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../../src/core/errors';
import { createComfyUIProvider } from '../../src/core/providers/comfyui';
import { ComfyUIProvider, missingRequirements, pickVideo } from '../../src/core/providers/comfyui/provider';
import { safeOutputName } from '../../src/core/providers/comfyui/client';
import { BUILTIN_MAPPING, builtinWorkflow, parseMapping, parseWorkflow } from '../../src/core/providers/comfyui/workflow';
import type { RenderProgress, RenderRequest } from '../../src/core/providers/types';
import { DEFAULT_SETTINGS } from '../../src/core/settings/schema';
import { FakeComfyUI, DEFAULT_NODE_TYPES } from '../fakes/fakeComfyUI';
import { repoRoot } from '../helpers/paths';

const TINY = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');
const req = (over: Partial<RenderRequest> = {}): RenderRequest => ({
  sceneId: 'lighthouse',
  prompt: 'a lighthouse at dusk',
  negativePrompt: 'blurry',
  keyframePath: path.join(repoRoot, 'media/sample/keyframes/lighthouse.png'),
  width: 640,
  height: 352,
  numFrames: 33,
  fps: 16,
  seed: 99,
  steps: 12,
  ...over,
});

describe('ComfyUI provider against a fake of the real protocol', function () {
  this.timeout(30_000);
  let fake: FakeComfyUI;
  let scratch: string;
  const provider = (extra: Partial<ConstructorParameters<typeof ComfyUIProvider>[0]> = {}) =>
    new ComfyUIProvider({ url: fake.url, workflow: builtinWorkflow(), mapping: BUILTIN_MAPPING, workflowName: 'built-in Wan 2.2 TI2V 5B', timeoutMs: 20_000, pollIntervalMs: 100, ...extra });
  const opts = (onProgress: (p: RenderProgress) => void = () => undefined, signal = new AbortController().signal) => ({ signal, scratchDir: scratch, onProgress });

  beforeEach(async () => {
    fake = await new FakeComfyUI({ videoFixture: TINY }).start();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-comfy-'));
  });
  afterEach(async () => {
    await fake.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reports health from /system_stats and checks nodes and models with /object_info', async () => {
    const h = await provider().health();
    assert.equal(h.state, 'ok');
    assert.equal(h.gpuName, 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync');
    assert.equal(h.vramFreeMb, 20 * 1024);
    assert.match(h.summary, /ComfyUI 0\.3\.99-fake · NVIDIA GeForce RTX 4090.*20\.0 of 24\.0 GB free/);
    fake.opts.nodeTypes = DEFAULT_NODE_TYPES.filter((t) => t !== 'Wan22ImageToVideoLatent');
    fake.opts.models = { UNETLoader: [], CLIPLoader: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'], VAELoader: ['wan2.2_vae.safetensors'] };
    const bad = await provider().health();
    assert.equal(bad.state, 'degraded');
    assert.equal(bad.error?.code, 'MISSING_NODES');
    assert.match(bad.summary, /node type Wan22ImageToVideoLatent/);
    assert.match(bad.summary, /model file wan2\.2_ti2v_5B_fp16\.safetensors .*ComfyUI\/models\/diffusion_models/);
  });

  it('uploads the keyframe, fills the workflow, follows progress and downloads the video', async () => {
    const progress: RenderProgress[] = [];
    const r = await provider().render(req(), opts((p) => progress.push(p)));
    const sent = fake.received.prompts[0]?.prompt;
    assert.ok(sent);
    assert.equal(sent['5']?.inputs.text, 'a lighthouse at dusk');
    assert.equal(sent['6']?.inputs.text, 'blurry');
    assert.equal(sent['4']?.inputs.image, 'scene-to-video/lighthouse.png');
    assert.deepEqual([sent['7']?.inputs.width, sent['7']?.inputs.height, sent['7']?.inputs.length], [640, 352, 33]);
    assert.equal(sent['9']?.inputs.seed, 99);
    assert.equal(sent['9']?.inputs.steps, 12);
    assert.equal(sent['11']?.inputs.fps, 16);
    assert.equal(sent['12']?.inputs.filename_prefix, 'scene-to-video/lighthouse');
    assert.deepEqual(fake.received.uploads, ['lighthouse.png']);
    assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
    assert.equal(r.videoIsTemporary, true);
    const steps = progress.filter((p) => p.stage === 'denoising' && p.step);
    assert.equal(steps.length, 8);
    assert.deepEqual(progress.map((p) => p.fraction), [...progress.map((p) => p.fraction)].sort((a, b) => a - b));
    assert.ok(progress.some((p) => p.stage === 'decoding'));
  });

  for (const shape of ['videos', 'gifs'] as const) {
    it(`finds the video when the history reports it under "${shape}"`, async () => {
      fake.opts.outputShape = shape;
      const r = await provider().render(req(), opts());
      assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
    });
  }

  it('turns node_errors of a rejected prompt into a readable message', async () => {
    fake.opts.rejectWith = {
      status: 400,
      body: {
        error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '' },
        node_errors: { '1': { errors: [{ type: 'value_not_in_list', message: 'Value not in list', details: "unet_name: 'wan2.2_ti2v_5B_fp16.safetensors' not in []", extra_info: { input_name: 'unet_name' } }], dependent_outputs: ['12'], class_type: 'UNETLoader' } },
      },
    };
    await assert.rejects(provider().render(req(), opts()), (e: unknown) => e instanceof StvError && e.code === 'PROMPT_REJECTED' && /node 1 \(UNETLoader\) input "unet_name": Value not in list/.test(e.message) && /models folder/.test(e.hint ?? ''));
  });

  it('names a missing custom node', async () => {
    fake.opts.nodeTypes = DEFAULT_NODE_TYPES.filter((t) => t !== 'CreateVideo');
    await assert.rejects(provider().render(req(), opts()), (e: unknown) => e instanceof StvError && e.code === 'MISSING_NODES' && /CreateVideo/.test(e.message));
  });

  it('reports an execution_error with the node, and CUDA OOM with its hint', async () => {
    fake.opts.failNode = { nodeId: '10', message: 'Expected tensor on cuda:0' };
    await assert.rejects(provider().render(req(), opts()), (e: unknown) => e instanceof StvError && e.code === 'EXECUTION_ERROR' && /node 10 \(VAEDecode\).*Expected tensor/.test(e.message));
    fake.opts.failNode = { nodeId: '9', message: 'Allocation on device 0 would exceed allowed memory. (out of memory)', type: 'torch.OutOfMemoryError' };
    await assert.rejects(provider().render(req(), opts()), (e: unknown) => e instanceof StvError && e.code === 'CUDA_OOM' && /--lowvram/.test(e.hint ?? ''));
  });

  it('cancel interrupts our running prompt on the server', async () => {
    fake.opts.stepDelayMs = 100;
    const ac = new AbortController();
    const p = provider().render(req(), opts((pr) => pr.step === 2 && ac.abort(), ac.signal));
    await assert.rejects(p, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    assert.deepEqual(fake.received.interrupts, [{ prompt_id: fake.received.prompts[0]?.id }]);
    const entry = fake.history[fake.received.prompts[0]?.id ?? ''] as { status: { status_str: string } };
    assert.equal(entry.status.status_str, 'error'); // the server stopped: it never saved a video
  });

  it('cancel deletes our prompt from the queue while another one runs', async () => {
    fake.opts.stepDelayMs = 100;
    const first = provider().render(req({ sceneId: 'first' }), opts());
    await new Promise((r) => setTimeout(r, 150));
    const ac = new AbortController();
    const second = provider().render(req({ sceneId: 'second' }), opts(() => undefined, ac.signal));
    await new Promise((r) => setTimeout(r, 150));
    ac.abort();
    await assert.rejects(second, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    assert.deepEqual(fake.received.deletes, [{ delete: [fake.received.prompts[1]?.id] }]);
    assert.deepEqual(fake.received.interrupts, [], 'the other prompt was not interrupted');
    await first;
  });

  it('reconnects when the socket drops mid-job and finishes from /history', async () => {
    fake.opts.stepDelayMs = 30;
    fake.opts.dropSocketsAtStep = 3;
    const r = await provider().render(req(), opts());
    assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
  });

  it('answers garbage with BAD_RESPONSE and silence with TIMEOUT, within the timeout', async () => {
    fake.opts.garbage = true;
    const g = await provider().health();
    assert.equal(g.error?.code, 'BAD_RESPONSE');
    fake.opts.garbage = false;
    fake.opts.silent = true;
    const t0 = Date.now();
    const s = await provider().health();
    assert.equal(s.error?.code, 'TIMEOUT');
    assert.ok(Date.now() - t0 < 8000);
  });

  it('refuses output names that leave the output folder', () => {
    for (const bad of [{ filename: '../x.mp4', subfolder: '' }, { filename: 'x.mp4', subfolder: '../../etc' }, { filename: 'a/b.mp4', subfolder: '' }, { filename: 'x.mp4', subfolder: 'C:\\Windows' }])
      assert.throws(() => safeOutputName({ ...bad, type: 'output' }), (e: unknown) => e instanceof StvError && e.code === 'PATH_FORBIDDEN');
    assert.doesNotThrow(() => safeOutputName({ filename: 'clip_00001_.mp4', subfolder: 'scene-to-video', type: 'output' }));
    // pickVideo only ever returns saved outputs, never inputs or temp previews.
    assert.equal(pickVideo({ outputs: { '1': { images: [{ filename: 'k.png', subfolder: '', type: 'input' }], animated: [true] } } }), undefined);
  });
});

describe('ComfyUI workflows and mappings', () => {
  it('the built-in workflow uses the official template\'s nodes and the Wan 2.2 TI2V 5B files', () => {
    const wf = builtinWorkflow();
    const types = Object.values(wf).map((n) => n.class_type);
    for (const t of ['UNETLoader', 'CLIPLoader', 'VAELoader', 'Wan22ImageToVideoLatent', 'KSampler', 'VAEDecode', 'CreateVideo', 'SaveVideo']) assert.ok(types.includes(t), t);
    assert.equal(wf['1']?.inputs.unet_name, 'wan2.2_ti2v_5B_fp16.safetensors');
    assert.equal(wf['3']?.inputs.vae_name, 'wan2.2_vae.safetensors');
    assert.deepEqual(parseMapping(BUILTIN_MAPPING, wf), BUILTIN_MAPPING);
  });

  it('validates a user mapping against the workflow, accepting gemDirect1 names', () => {
    const wf = parseWorkflow(readFileSync(path.join(repoRoot, 'test/fixtures/comfyui/model-free.workflow.json'), 'utf8'), 'model-free');
    assert.throws(() => parseMapping({ '9:text': 'prompt' }, wf), /the workflow has no node 9/);
    assert.throws(() => parseMapping({ '1:text': 'human_readable_prompt' }, wf), /node 1 \(LoadImage\) has no input "text"/);
    assert.throws(() => parseMapping({ '1:image': 'sparkles' }, wf), /not one of prompt, negative_prompt/);
    assert.throws(() => parseWorkflow('{"nodes": [], "links": []}', 'ui.json'), /UI workflow, not the API format/);
    // A model-free workflow needs no model files; only its node types must exist.
    const info = Object.fromEntries(DEFAULT_NODE_TYPES.map((t) => [t, { input: { required: {} } }]));
    assert.deepEqual(missingRequirements(wf, {}, info), []);
    delete info.RepeatImageBatch;
    assert.deepEqual(missingRequirements(wf, {}, info), ['node type RepeatImageBatch (a custom node that is not installed)']);
  });

  it('builds a provider from settings: built-in, or a user workflow that needs a mapping', async () => {
    const builtin = await createComfyUIProvider(DEFAULT_SETTINGS.comfyUI);
    assert.equal(builtin.id, 'comfyui-local');
    await assert.rejects(createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, workflowPath: 'test/fixtures/comfyui/model-free.workflow.json' }, { workspaceDir: repoRoot }), /comfyUI.mapping is empty/);
    await assert.rejects(createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, workflowPath: 'nope.json' }, { workspaceDir: repoRoot }), (e: unknown) => e instanceof StvError && e.code === 'WORKFLOW_INVALID');
  });

  it('renders the model-free user workflow through its mapping', async () => {
    const fake = await new FakeComfyUI({ videoFixture: TINY }).start();
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-comfy-'));
    try {
      const mapping = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/comfyui/model-free.mapping.json'), 'utf8')) as Record<string, string>;
      const p = await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, url: fake.url, workflowPath: 'test/fixtures/comfyui/model-free.workflow.json', mapping }, { workspaceDir: repoRoot });
      assert.equal((await p.health()).state, 'ok');
      const r = await p.render(req(), { signal: new AbortController().signal, scratchDir: scratch, onProgress: () => undefined });
      const sent = fake.received.prompts[0]?.prompt;
      assert.equal(sent?.['2']?.inputs.amount, 33);
      assert.equal(sent?.['1']?.inputs.image, 'scene-to-video/lighthouse.png');
      assert.deepEqual(r.warnings.map((w) => w.code), ['OTHER']); // no prompt input: said, not hidden
      assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
    } finally {
      await fake.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
