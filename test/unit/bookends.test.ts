import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createComfyUIProvider } from '../../src/core/providers/comfyui';
import { endKeyframeWarnings, planWorkflow } from '../../src/core/providers/comfyui/bookends';
import { ComfyUIProvider } from '../../src/core/providers/comfyui/provider';
import {
  BUILTIN_BOOKEND_MAPPING,
  BUILTIN_MAPPING,
  builtinBookendWorkflow,
  builtinWorkflow,
  fillWorkflow,
  mappingTarget,
} from '../../src/core/providers/comfyui/workflow';
import type { RenderRequest } from '../../src/core/providers/types';
import { DEFAULT_SETTINGS } from '../../src/core/settings/schema';
import { sceneNotices } from '../../src/vscode/panelModel';
import { WebviewToExtensionSchema } from '../../src/protocol/messages';
import { DEFAULT_NODE_TYPES, FakeComfyUI } from '../fakes/fakeComfyUI';
import { repoRoot } from '../helpers/paths';

const TINY = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');
const START = path.join(repoRoot, 'media/sample/keyframes/lighthouse.png');
const END = path.join(repoRoot, 'media/sample/keyframes/lighthouse-night.png');
const req = (over: Partial<RenderRequest> = {}): RenderRequest => ({
  sceneId: 'nightfall',
  prompt: 'dusk to night',
  keyframePath: START,
  endKeyframePath: END,
  width: 640,
  height: 352,
  numFrames: 33,
  fps: 16,
  seed: 5,
  ...over,
});
const builtin = { workflow: builtinWorkflow(), mapping: BUILTIN_MAPPING, workflowName: 'built-in Wan 2.2 TI2V 5B' };
const bookend = {
  workflow: builtinBookendWorkflow(),
  mapping: BUILTIN_BOOKEND_MAPPING,
  workflowName: 'built-in bookends',
};

describe('bookends (start and end keyframes)', function () {
  this.timeout(30_000);

  it("the built-in first-and-last-frame workflow is the official template's graph, filled from the request", () => {
    const w = builtinBookendWorkflow();
    assert.equal(w['1']?.inputs.unet_name, 'wan2.2_fun_inpaint_5B_bf16.safetensors');
    assert.equal(w['7']?.class_type, 'WanFunInpaintToVideo');
    assert.deepEqual(
      [w['7']?.inputs.start_image, w['7']?.inputs.end_image],
      [
        ['4', 0],
        ['13', 0],
      ],
    );
    assert.deepEqual([w['9']?.inputs.cfg, w['9']?.inputs.sampler_name, w['9']?.inputs.steps], [6, 'uni_pc', 20]);
    const filled = fillWorkflow(w, BUILTIN_BOOKEND_MAPPING, {
      request: req(),
      keyframeName: 'a/start.png',
      endKeyframeName: 'a/end.png',
      filenamePrefix: 'p',
    });
    assert.deepEqual(
      [filled['4']?.inputs.image, filled['13']?.inputs.image, filled['7']?.inputs.width, filled['7']?.inputs.length],
      ['a/start.png', 'a/end.png', 640, 33],
    );
    assert.throws(
      () =>
        fillWorkflow(w, BUILTIN_BOOKEND_MAPPING, { request: req(), keyframeName: 'a/start.png', filenamePrefix: 'p' }),
      /first-and-last-frame workflow and needs an end keyframe/,
    );
    assert.equal(mappingTarget('start_image'), 'keyframe_image');
    assert.equal(mappingTarget('end_image'), 'end_image');
    assert.equal(mappingTarget('last_image'), 'end_image');
  });

  it('picks the bookend workflow for an end keyframe, a named one when the timeline says, and warns otherwise', async () => {
    assert.equal((await planWorkflow(req(), builtin, bookend)).workflowName, 'built-in bookends');
    assert.equal(
      (await planWorkflow(req({ endKeyframePath: undefined }), builtin, bookend)).workflowName,
      'built-in Wan 2.2 TI2V 5B',
    );
    const mine = await planWorkflow(req(), builtin);
    assert.deepEqual(
      endKeyframeWarnings(req(), mine).map((w) => w.code),
      ['END_KEYFRAME_IGNORED'],
    );
    assert.deepEqual(endKeyframeWarnings(req(), bookend), []);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stv-named-'));
    try {
      const file = path.join(dir, 'mine.workflow.json');
      writeFileSync(file, JSON.stringify(builtinBookendWorkflow()));
      const named = await planWorkflow(
        req({
          workflow: {
            name: 'mine',
            file,
            mapping: { '4:image': 'start_image', '13:image': 'end_image', '5:text': 'prompt' },
          },
        }),
        builtin,
        bookend,
      );
      assert.equal(named.workflowName, 'mine (mine.workflow.json)');
      assert.deepEqual(named.mapping, { '4:image': 'keyframe_image', '13:image': 'end_image', '5:text': 'prompt' });
      await assert.rejects(
        planWorkflow(req({ workflow: { name: 'gone', file: path.join(dir, 'gone.json'), mapping: {} } }), builtin),
        /Cannot read the timeline's workflow "gone"/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uploads both images to ComfyUI and queues the first-and-last-frame graph for a shot with an end keyframe', async () => {
    const fake = await new FakeComfyUI({
      videoFixture: TINY,
      nodeTypes: [...DEFAULT_NODE_TYPES, 'WanFunInpaintToVideo'],
      models: {
        UNETLoader: ['wan2.2_ti2v_5B_fp16.safetensors', 'wan2.2_fun_inpaint_5B_bf16.safetensors'],
        CLIPLoader: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'],
        VAELoader: ['wan2.2_vae.safetensors'],
      },
    }).start();
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'stv-bookend-'));
    try {
      const provider = (await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, url: fake.url })) as ComfyUIProvider;
      const h = await provider.health();
      assert.equal(h.followsEndKeyframe, true);
      assert.doesNotMatch(h.summary, /lacks/);
      const r = await provider.render(req(), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: () => undefined,
      });
      assert.equal(fake.received.uploads.length, 2);
      const sent = fake.received.prompts.at(-1)?.prompt ?? {};
      assert.equal(sent['7']?.class_type, 'WanFunInpaintToVideo');
      assert.notEqual(sent['4']?.inputs.image, sent['13']?.inputs.image);
      assert.deepEqual(r.warnings, []);
      assert.match(r.model ?? '', /first and last frame/);
      // Without the inpaint model, health says what bookend shots need, without degrading.
      fake.opts.models = {
        UNETLoader: ['wan2.2_ti2v_5B_fp16.safetensors'],
        CLIPLoader: ['umt5_xxl_fp8_e4m3fn_scaled.safetensors'],
        VAELoader: ['wan2.2_vae.safetensors'],
      };
      const h2 = await (await createComfyUIProvider({ ...DEFAULT_SETTINGS.comfyUI, url: fake.url })).health();
      assert.equal(h2.state, 'ok');
      assert.match(
        h2.summary,
        /shots with an end keyframe need .* which lacks: model file wan2\.2_fun_inpaint_5B_bf16\.safetensors/,
      );
      // A workflow of the user's without end_image: the end keyframe is named as ignored, one upload only.
      const own = new ComfyUIProvider({
        url: fake.url,
        ...builtin,
        workflowName: 'my.json',
        timeoutMs: 20_000,
        pollIntervalMs: 100,
      });
      const before = fake.received.uploads.length;
      const r2 = await own.render(req(), {
        signal: new AbortController().signal,
        scratchDir: scratch,
        onProgress: () => undefined,
      });
      assert.deepEqual(
        r2.warnings.map((w) => w.code),
        ['END_KEYFRAME_IGNORED'],
      );
      assert.equal(fake.received.uploads.length - before, 1);
    } finally {
      await fake.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('the panel says END_KEYFRAME_IGNORED before a render, and takes "scene/shot" ids', () => {
    const base = {
      providerId: 'fastvideo-local' as const,
      hasKeyframe: true,
      width: 640,
      height: 352,
      fastVideoModelId: 'Wan-AI/Wan2.2-TI2V-5B-Diffusers',
    };
    const health = {
      provider: 'fastvideo-local' as const,
      state: 'ok' as const,
      endpoint: 'x',
      summary: 's',
      checkedAt: 'now',
      model: 'Wan-AI/Wan2.2-TI2V-5B-Diffusers',
      followsKeyframe: true,
      followsEndKeyframe: false,
    };
    assert.deepEqual(
      sceneNotices({ ...base, hasEndKeyframe: true, health }).map((n) => n.code),
      ['END_KEYFRAME_IGNORED'],
    );
    assert.deepEqual(sceneNotices({ ...base, hasEndKeyframe: false, health }), []);
    assert.deepEqual(
      sceneNotices({ ...base, hasEndKeyframe: true, health: { ...health, followsEndKeyframe: true } }),
      [],
    );
    assert.ok(WebviewToExtensionSchema.safeParse({ type: 'render', sceneId: 'city-night/wide' }).success);
    assert.ok(!WebviewToExtensionSchema.safeParse({ type: 'render', sceneId: 'a/b/c' }).success);
    assert.ok(!WebviewToExtensionSchema.safeParse({ type: 'render', sceneId: '../x' }).success);
  });
});
