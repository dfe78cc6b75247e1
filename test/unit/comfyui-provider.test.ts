import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../../src/core/errors';
import { createComfyUIProvider } from '../../src/core/providers/comfyui';
import { ComfyUIProvider, missingRequirements, pickVideo } from '../../src/core/providers/comfyui/provider';
import { safeOutputName } from '../../src/core/providers/comfyui/client';
import {
  BUILTIN_MAPPING,
  builtinWorkflow,
  fillWorkflow,
  parseMapping,
  parseWorkflow,
} from '../../src/core/providers/comfyui/workflow';
import type { RenderProgress, RenderRequest } from '../../src/core/providers/types';
import { DEFAULT_SETTINGS } from '../../src/core/settings/schema';
import { FakeComfyUI, DEFAULT_NODE_TYPES } from '../fakes/fakeComfyUI';
import { repoRoot } from '../helpers/paths';
import { until } from '../helpers/until';

const TINY = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');
/** From now on the fake refuses WebSocket upgrades but still answers HTTP. */
const refuseUpgrades = (f: FakeComfyUI) => {
  f.opts.silentWs = true;
};
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
    new ComfyUIProvider({
      url: fake.url,
      workflow: builtinWorkflow(),
      mapping: BUILTIN_MAPPING,
      workflowName: 'built-in Wan 2.2 TI2V 5B',
      timeoutMs: 20_000,
      pollIntervalMs: 100,
      ...extra,
    });
  const opts = (onProgress: (p: RenderProgress) => void = () => undefined, signal = new AbortController().signal) => ({
    signal,
    scratchDir: scratch,
    onProgress,
  });

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
    fake.opts.models = {
      UNETLoader: [],
      CLIPLoader: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'],
      VAELoader: ['wan2.2_vae.safetensors'],
    };
    const bad = await provider().health();
    assert.equal(bad.state, 'degraded');
    assert.equal(bad.error?.code, 'MISSING_NODES');
    assert.match(bad.summary, /node type Wan22ImageToVideoLatent/);
    assert.match(bad.summary, /model file wan2\.2_ti2v_5B_fp16\.safetensors .*ComfyUI\/models\/diffusion_models/);
  });

  it('reports degraded health when little VRAM is free', async () => {
    fake.opts.vramFreeGb = 0.5;
    const h = await provider().health();
    assert.equal(h.state, 'degraded');
    assert.match(h.summary, /little free VRAM/);
  });

  it('uploads the keyframe, fills the workflow, follows progress and downloads the video', async () => {
    const progress: RenderProgress[] = [];
    const r = await provider().render(
      req(),
      opts((p) => progress.push(p)),
    );
    const sent = fake.received.prompts[0]?.prompt;
    assert.ok(sent);
    assert.equal(sent['5']?.inputs.text, 'a lighthouse at dusk');
    assert.equal(sent['6']?.inputs.text, 'blurry');
    assert.match(String(sent['4']?.inputs.image), /^scene-to-video\/lighthouse-[0-9a-f]{12}\.png$/);
    assert.deepEqual([sent['7']?.inputs.width, sent['7']?.inputs.height, sent['7']?.inputs.length], [640, 352, 33]);
    assert.equal(sent['9']?.inputs.seed, 99);
    assert.equal(sent['9']?.inputs.steps, 12);
    assert.equal(sent['11']?.inputs.fps, 16);
    assert.equal(sent['12']?.inputs.filename_prefix, 'scene-to-video/lighthouse');
    assert.equal(fake.received.uploads.length, 1);
    assert.equal(fake.received.prompts[0]?.clientId, r.server.clientId);
    assert.equal(fake.received.prompts[0]?.id, r.server.promptId); // the id we chose
    assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
    assert.equal(r.videoIsTemporary, true);
    const steps = progress.filter((p) => p.stage === 'denoising' && p.step);
    assert.equal(steps.length, 8);
    assert.deepEqual(
      progress.map((p) => p.fraction),
      [...progress.map((p) => p.fraction)].sort((a, b) => a - b),
    );
    assert.ok(progress.some((p) => p.stage === 'decoding'));
    assert.ok(progress.some((p) => p.message === 'node 9 (KSampler)'));
    assert.equal(typeof r.timings.queueMs, 'number');
    assert.equal(typeof r.timings.generateMs, 'number');
  });

  it('gives keyframes that share a file name different upload names', async () => {
    const a = path.join(scratch, 'a', 'key.png');
    const b = path.join(scratch, 'b', 'key.png');
    mkdirSync(path.dirname(a));
    mkdirSync(path.dirname(b));
    copyFileSync(path.join(repoRoot, 'media/sample/keyframes/lighthouse.png'), a);
    copyFileSync(path.join(repoRoot, 'media/sample/keyframes/city-rain.png'), b);
    const c = provider().client;
    const [na, nb, na2] = [
      await c.uploadImage(a, undefined, 'scene'),
      await c.uploadImage(b, undefined, 'scene'),
      await c.uploadImage(a, undefined, 'scene'),
    ];
    assert.notEqual(na, nb);
    assert.equal(na, na2); // same content, same name: ComfyUI's LoadImage cache still works
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
        node_errors: {
          '1': {
            errors: [
              {
                type: 'value_not_in_list',
                message: 'Value not in list',
                details: "unet_name: 'wan2.2_ti2v_5B_fp16.safetensors' not in []",
                extra_info: { input_name: 'unet_name' },
              },
            ],
            dependent_outputs: ['12'],
            class_type: 'UNETLoader',
          },
        },
      },
    };
    await assert.rejects(
      provider().render(req(), opts()),
      (e: unknown) =>
        e instanceof StvError &&
        e.code === 'PROMPT_REJECTED' &&
        /node 1 \(UNETLoader\) input "unet_name": Value not in list/.test(e.message) &&
        /models folder/.test(e.hint ?? ''),
    );
  });

  it("names missing model files from the server's own validation", async () => {
    fake.opts.models = { UNETLoader: [], CLIPLoader: [], VAELoader: ['pixel_space'] };
    await assert.rejects(provider().render(req(), opts()), (e: unknown) => {
      assert.ok(e instanceof StvError && e.code === 'PROMPT_REJECTED', String(e));
      assert.match(
        e.message,
        /node 1 \(UNETLoader\) input "unet_name": Value not in list — unet_name: 'wan2\.2_ti2v_5B_fp16\.safetensors' not in \[\]/,
      );
      assert.match(e.message, /node 3 \(VAELoader\) input "vae_name"/);
      assert.equal(
        e.hint,
        'Model files are not installed. Put wan2.2_ti2v_5B_fp16.safetensors → ComfyUI/models/diffusion_models, umt5_xxl_fp8_e4m3fn_scaled.safetensors → ComfyUI/models/text_encoders, wan2.2_vae.safetensors → ComfyUI/models/vae (see docs/comfyui.md), then render again.',
      );
      return true;
    });
    assert.equal(fake.received.prompts.length, 0);
  });

  for (const shape of ['invalid_prompt', 'missing_node_type'] as const) {
    it(`names a missing custom node (${shape === 'invalid_prompt' ? 'ComfyUI 0.3' : 'newer servers'})`, async () => {
      fake.opts.missingNodeShape = shape;
      fake.opts.nodeTypes = DEFAULT_NODE_TYPES.filter((t) => t !== 'CreateVideo');
      await assert.rejects(
        provider().render(req(), opts()),
        (e: unknown) =>
          e instanceof StvError && e.code === 'MISSING_NODES' && /CreateVideo/.test(e.message) && /#11/.test(e.message),
      );
    });
  }

  it('reports an execution_error with the node, and CUDA OOM with its hint', async () => {
    fake.opts.failNode = { nodeId: '10', message: 'Expected tensor on cuda:0' };
    await assert.rejects(
      provider().render(req(), opts()),
      (e: unknown) =>
        e instanceof StvError &&
        e.code === 'EXECUTION_ERROR' &&
        /node 10 \(VAEDecode\).*Expected tensor/.test(e.message),
    );
    fake.opts.failNode = {
      nodeId: '9',
      message: 'Allocation on device 0 would exceed allowed memory. (out of memory)',
      type: 'torch.OutOfMemoryError',
    };
    await assert.rejects(
      provider().render(req(), opts()),
      (e: unknown) => e instanceof StvError && e.code === 'CUDA_OOM' && /--lowvram/.test(e.hint ?? ''),
    );
  });

  it('a cancel before submission sends nothing to ComfyUI', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      provider().render(
        req(),
        opts(() => undefined, ac.signal),
      ),
      (e: unknown) => e instanceof StvError && e.code === 'CANCELLED',
    );
    assert.equal(fake.received.prompts.length, 0);
  });

  it('a cancel that arrives after ComfyUI finished discards the video', async () => {
    fake.opts.stepDelayMs = 20;
    fake.opts.ignoreInterrupt = true; // the node never checks for interrupts
    const ac = new AbortController();
    const p = provider().render(
      req(),
      opts((pr) => pr.step === 7 && ac.abort(), ac.signal),
    );
    await assert.rejects(
      p,
      (e: unknown) => e instanceof StvError && e.code === 'CANCELLED' && /already finished/.test(e.message),
    );
    assert.equal(fake.received.interrupts.length, 1);
    assert.deepEqual(readdirSync(scratch), []); // nothing downloaded
  });

  it('cancel interrupts our running prompt on the server', async () => {
    fake.opts.stepDelayMs = 100;
    const ac = new AbortController();
    const p = provider().render(
      req(),
      opts((pr) => pr.step === 2 && ac.abort(), ac.signal),
    );
    await assert.rejects(p, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    assert.deepEqual(fake.received.interrupts, [{ prompt_id: fake.received.prompts[0]?.id }]);
    const id = fake.received.prompts[0]?.id ?? '';
    await until('the prompt in /history', () => id in fake.history); // written just after execution_interrupted, as task_done does
    const entry = fake.history[id] as {
      status: { status_str: string; messages: [string, unknown][] };
      outputs: object;
    };
    assert.equal(entry.status.status_str, 'error'); // the server stopped: it never saved a video
    assert.ok(entry.status.messages.some(([t]) => t === 'execution_interrupted'));
    assert.deepEqual(entry.outputs, {});
  });

  it('cancel deletes our prompt from the queue while another one runs', async () => {
    fake.opts.stepDelayMs = 100;
    const first = provider().render(req({ sceneId: 'first' }), opts());
    await new Promise((r) => setTimeout(r, 150));
    const ac = new AbortController();
    const second = provider().render(
      req({ sceneId: 'second' }),
      opts(() => undefined, ac.signal),
    );
    await new Promise((r) => setTimeout(r, 150));
    ac.abort();
    await assert.rejects(second, (e: unknown) => e instanceof StvError && e.code === 'CANCELLED');
    assert.deepEqual(fake.received.deletes, [{ delete: [fake.received.prompts[1]?.id] }]);
    assert.deepEqual(fake.received.interrupts, [], 'the other prompt was not interrupted');
    await first;
    assert.equal(fake.history[fake.received.prompts[1]?.id ?? ''], undefined, 'the deleted prompt never ran');
  });

  it('reconnects when the socket drops mid-job and finishes from /history', async () => {
    fake.opts.stepDelayMs = 60;
    fake.opts.dropSocketsAtStep = 3;
    const steps: number[] = [];
    const r = await provider().render(
      req(),
      opts((p) => p.step && steps.push(p.step)),
    );
    assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
    assert.ok(steps.includes(3));
    assert.ok(
      steps.some((s) => s > 4),
      `progress resumed on the new socket (steps seen: ${steps.join(',')})`,
    );
  });

  it('finishes from /history when the socket never comes back', async () => {
    fake.opts.stepDelayMs = 30;
    fake.opts.onStep = (s, f) => {
      if (s === 2) {
        refuseUpgrades(f);
        f.dropSockets();
      }
    };
    const r = await provider().render(req(), opts());
    assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
  });

  it('says so when ComfyUI restarts mid-render and forgets the prompt', async () => {
    fake.opts.stepDelayMs = 30;
    fake.opts.onStep = (s, f) => s === 3 && f.crash();
    await assert.rejects(
      provider().render(req(), opts()),
      (e: unknown) => e instanceof StvError && e.code === 'NOT_FOUND' && /no longer knows the prompt/.test(e.message),
    );
  });

  it('reports ComfyUI gone when it stops answering mid-render', async () => {
    fake.opts.stepDelayMs = 30;
    fake.opts.onStep = (s, f) => {
      if (s === 3) {
        f.opts.refuse = true;
        f.dropSockets();
      }
    };
    await assert.rejects(
      provider({ serverLostMs: 300 }).render(req(), opts()),
      (e: unknown) =>
        e instanceof StvError && e.code === 'UNREACHABLE' && /stopped answering during the render/.test(e.message),
    );
  });

  it('answers garbage from /history mid-render with BAD_RESPONSE', async () => {
    fake.opts.garbageOn = ['/history'];
    await assert.rejects(
      provider().render(req(), opts()),
      (e: unknown) => e instanceof StvError && e.code === 'BAD_RESPONSE' && /not JSON/.test(e.message),
    );
  });

  it('never asks /view for an output name that leaves the output folder', async () => {
    fake.opts.outputOverride = { filename: 'passwd.mp4', subfolder: '../../etc' };
    await assert.rejects(
      provider().render(req(), opts()),
      (e: unknown) => e instanceof StvError && e.code === 'PATH_FORBIDDEN',
    );
    assert.deepEqual(fake.received.views, []);
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
    for (const bad of [
      { filename: '../x.mp4', subfolder: '' },
      { filename: 'x.mp4', subfolder: '../../etc' },
      { filename: 'a/b.mp4', subfolder: '' },
      { filename: 'x.mp4', subfolder: 'C:\\Windows' },
    ])
      assert.throws(
        () => safeOutputName({ ...bad, type: 'output' }),
        (e: unknown) => e instanceof StvError && e.code === 'PATH_FORBIDDEN',
      );
    assert.doesNotThrow(() =>
      safeOutputName({ filename: 'clip_00001_.mp4', subfolder: 'scene-to-video', type: 'output' }),
    );
    for (const bad of [
      { filename: 'x.mp4 [input]', subfolder: '' },
      { filename: 'x.mp4', subfolder: '/etc' },
      { filename: 'x.mp4', subfolder: '\\\\server\\share' },
    ])
      assert.throws(
        () => safeOutputName({ ...bad, type: 'output' }),
        (e: unknown) => e instanceof StvError && e.code === 'PATH_FORBIDDEN',
      );
    // pickVideo never returns inputs; a temp preview only when nothing was saved.
    assert.equal(
      pickVideo({
        outputs: { '1': { images: [{ filename: 'k.png', subfolder: '', type: 'input' }], animated: [true] } },
      }),
      undefined,
    );
    const temp = { filename: 'preview_00001_.mp4', subfolder: '', type: 'temp' };
    const saved = { filename: 'clip_00001_.mp4', subfolder: 'scene-to-video', type: 'output' };
    assert.deepEqual(pickVideo({ outputs: { '1': { images: [temp], animated: [true] } } }), temp);
    assert.deepEqual(
      pickVideo({ outputs: { '1': { images: [temp], animated: [true] }, '2': { videos: [saved] } } }),
      saved,
    );
  });
});

describe('ComfyUI workflows and mappings', () => {
  it("the built-in workflow uses the official template's nodes and the Wan 2.2 TI2V 5B files", () => {
    const wf = builtinWorkflow();
    const types = Object.values(wf).map((n) => n.class_type);
    for (const t of [
      'UNETLoader',
      'CLIPLoader',
      'VAELoader',
      'Wan22ImageToVideoLatent',
      'KSampler',
      'VAEDecode',
      'CreateVideo',
      'SaveVideo',
    ])
      assert.ok(types.includes(t), t);
    assert.equal(wf['1']?.inputs.unet_name, 'wan2.2_ti2v_5B_fp16.safetensors');
    assert.equal(wf['3']?.inputs.vae_name, 'wan2.2_vae.safetensors');
    assert.deepEqual(parseMapping(BUILTIN_MAPPING, wf), BUILTIN_MAPPING);
  });

  it('validates a user mapping against the workflow, accepting gemDirect1 names', () => {
    const wf = parseWorkflow(
      readFileSync(path.join(repoRoot, 'test/fixtures/comfyui/model-free.workflow.json'), 'utf8'),
      'model-free',
    );
    assert.throws(() => parseMapping({ '9:text': 'prompt' }, wf), /the workflow has no node 9/);
    assert.throws(
      () => parseMapping({ '1:text': 'human_readable_prompt' }, wf),
      /node 1 \(LoadImage\) has no input "text"/,
    );
    assert.throws(() => parseMapping({ '1:image': 'sparkles' }, wf), /not one of prompt, negative_prompt/);
    assert.throws(() => parseWorkflow('{"nodes": [], "links": []}', 'ui.json'), /UI workflow, not the API format/);
    // gemDirect1's own names: "-- Don't Map --" is skipped, full_timeline_json gets the scene as JSON text.
    const gem = {
      ...wf,
      '9': { class_type: 'CLIPTextEncode', inputs: { text: '' } },
      '10': { class_type: 'LoadText', inputs: { text: '' } },
    };
    const m = parseMapping(
      {
        '9:text': 'human_readable_prompt',
        '10:text': 'full_timeline_json',
        '2:amount': 'none',
        '1:image': 'keyframe_image',
      },
      gem,
    );
    assert.deepEqual(m, { '9:text': 'prompt', '10:text': 'full_timeline_json', '1:image': 'keyframe_image' });
    const filled = fillWorkflow(gem, m, { request: req(), keyframeName: 'k.png', filenamePrefix: 'x' });
    assert.equal(filled['9']?.inputs.text, 'a lighthouse at dusk');
    assert.deepEqual(JSON.parse(String(filled['10']?.inputs.text)), {
      sceneId: 'lighthouse',
      prompt: 'a lighthouse at dusk',
      negativePrompt: 'blurry',
      width: 640,
      height: 352,
      numFrames: 33,
      fps: 16,
      seed: 99,
      steps: 12,
    });
    assert.equal(filled['2']?.inputs.amount, 9); // unmapped: the workflow's own value
    // A model-free workflow needs no model files; only its node types must exist.
    const info = Object.fromEntries(DEFAULT_NODE_TYPES.map((t) => [t, { input: { required: {} } }]));
    assert.deepEqual(missingRequirements(wf, {}, info), []);
    delete info.RepeatImageBatch;
    assert.deepEqual(missingRequirements(wf, {}, info), [
      'node type RepeatImageBatch (a custom node that is not installed)',
    ]);
  });

  it("checks the built-in workflow's node classes and inputs against a real /object_info (ComfyUI 0.3.64)", () => {
    const info = JSON.parse(
      readFileSync(path.join(repoRoot, 'test/fixtures/comfyui/object_info-0.3.64.json'), 'utf8'),
    ) as Parameters<typeof missingRequirements>[2];
    // Only the model files are missing from that (model-less) server; every class and input exists.
    assert.deepEqual(
      missingRequirements(builtinWorkflow(), BUILTIN_MAPPING, info).map((m) => m.replace(/ \(.*/, '')),
      [
        'model file wan2.2_ti2v_5B_fp16.safetensors',
        'model file umt5_xxl_fp8_e4m3fn_scaled.safetensors',
        'model file wan2.2_vae.safetensors',
      ],
    );
    const renamed = builtinWorkflow();
    const k = Object.entries(renamed).find(([, n]) => n.class_type === 'KSampler')?.[0] ?? '';
    (renamed[k] as { inputs: Record<string, unknown> }).inputs.noise_seed = 1; // SamplerCustom's name, not KSampler's
    assert.ok(
      missingRequirements(renamed, BUILTIN_MAPPING, info).includes(
        `input "noise_seed" of node ${k} (KSampler), which this ComfyUI's KSampler does not have (made for another version?)`,
      ),
    );
  });

  it('builds a provider from settings: built-in, or a user workflow that needs a mapping', async () => {
    const builtin = await createComfyUIProvider(DEFAULT_SETTINGS.comfyUI);
    assert.equal(builtin.id, 'comfyui-local');
    await assert.rejects(
      createComfyUIProvider(
        { ...DEFAULT_SETTINGS.comfyUI, workflowPath: 'test/fixtures/comfyui/model-free.workflow.json' },
        { workspaceDir: repoRoot },
      ),
      /comfyUI.mapping is empty/,
    );
    await assert.rejects(
      createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, workflowPath: 'nope.json' }, { workspaceDir: repoRoot }),
      (e: unknown) => e instanceof StvError && e.code === 'WORKFLOW_INVALID',
    );
  });

  it('renders the model-free user workflow through its mapping', async () => {
    const fake = await new FakeComfyUI({ videoFixture: TINY }).start();
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-comfy-'));
    try {
      const mapping = JSON.parse(
        readFileSync(path.join(repoRoot, 'test/fixtures/comfyui/model-free.mapping.json'), 'utf8'),
      ) as Record<string, string>;
      const p = await createComfyUIProvider(
        {
          ...DEFAULT_SETTINGS.comfyUI,
          url: fake.url,
          workflowPath: 'test/fixtures/comfyui/model-free.workflow.json',
          mapping,
        },
        { workspaceDir: repoRoot },
      );
      assert.equal((await p.health()).state, 'ok');
      const progress: RenderProgress[] = [];
      const r = await p.render(req(), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: (x) => progress.push(x),
      });
      const sent = fake.received.prompts[0]?.prompt;
      assert.equal(sent?.['2']?.inputs.amount, 33);
      // No sampler, so progress follows the nodes: each one named, the share of nodes done rising.
      const nodes = progress.filter((x) => x.message?.startsWith('node '));
      assert.deepEqual(
        nodes.map((x) => x.message),
        ['node 1 (LoadImage)', 'node 2 (RepeatImageBatch)', 'node 3 (CreateVideo)', 'node 4 (SaveVideo)'],
      );
      assert.deepEqual(
        nodes.map((x) => x.stage),
        ['loading', 'loading', 'encoding', 'saving'],
      );
      [0.05, 0.275, 0.5, 0.725].forEach((want, i) =>
        assert.ok(Math.abs((nodes[i]?.fraction ?? -1) - want) < 1e-9, `node ${i + 1}: ${nodes[i]?.fraction}`),
      );
      assert.ok(!progress.some((x) => x.stage === 'denoising'));
      assert.match(String(sent?.['1']?.inputs.image), /^scene-to-video\/lighthouse-[0-9a-f]{12}\.png$/);
      assert.deepEqual(
        r.warnings.map((w) => w.code),
        ['OTHER'],
      ); // no prompt input: said, not hidden
      assert.deepEqual(readFileSync(r.videoPath), readFileSync(TINY));
    } finally {
      await fake.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
