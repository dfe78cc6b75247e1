import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ProviderHealth } from '../../src/core/providers/types';
import type { RenderJobSnapshot } from '../../src/core/render/queue';
import { FASTWAN_MODEL, KEYFRAME_FAITHFUL_MODEL } from '../../src/core/settings/schema';
import {
  ExtensionToWebviewSchema,
  PanelStateSchema,
  WebviewToExtensionSchema,
  offersFaithful,
  type PanelState,
} from '../../src/protocol/messages';
import { timelineOutline, timelineTree } from '../../src/core/timeline/authoring';
import {
  clampOutline,
  extraResourceRoot,
  followsKeyframe,
  isInside,
  sceneNotices,
  toPanelJob,
} from '../../src/vscode/panelModel';
import { RESTRICTED_MODE_NOTE, providerPickItem, statusTooltip } from '../../src/vscode/statusFormat';
import { lighthouseScene } from '../helpers/panelScene';

const health = (over: Partial<ProviderHealth>): ProviderHealth => ({
  provider: 'fastvideo-local',
  state: 'ok',
  endpoint: 'http://127.0.0.1:8055',
  summary: 'ready',
  checkedAt: '2026-11-24T03:00:00Z',
  ...over,
});
const job = (over: Partial<RenderJobSnapshot>): RenderJobSnapshot => ({
  jobId: '3b241101-e2bb-4255-8caf-4136c566a962',
  sceneId: 'lighthouse',
  timelineFile: '/w/sample.timeline.json',
  providerId: 'fastvideo-local',
  state: 'running',
  seed: 7,
  createdAt: '2026-11-24T03:00:00Z',
  ...over,
});

const state: PanelState = {
  timelineFile: '/w/sample.timeline.json',
  title: 'Sample',
  problems: [],
  provider: { id: 'fastvideo-local', state: 'ok', summary: 'ready', followsKeyframe: false, model: FASTWAN_MODEL },
  scenes: [
    {
      ...lighthouseScene('https://file+.vscode-resource.vscode-cdn.net', '/w'),
      job: toPanelJob(job({ progress: { stage: 'denoising', fraction: 0.4, step: 2, totalSteps: 3, etaMs: 9000 } })),
    },
  ],
};

describe('scene panel model', () => {
  it('turns a job into progress with stage, steps and time left, and an error into its fixing actions', () => {
    const running = toPanelJob(
      job({ progress: { stage: 'denoising', fraction: 1.2, step: 2, totalSteps: 3, etaMs: 9000, queuePosition: 0 } }),
    );
    assert.deepEqual(running, {
      jobId: running.jobId,
      state: 'running',
      stage: 'denoising',
      fraction: 1,
      step: 2,
      totalSteps: 3,
      etaMs: 9000,
      queuePosition: 0,
    });
    const failed = toPanelJob(
      job({
        state: 'failed',
        error: { code: 'UNREACHABLE', message: 'Nothing answers at http://127.0.0.1:8055.', hint: 'Start it.' },
      }),
    );
    assert.deepEqual(failed.error, {
      code: 'UNREACHABLE',
      message: 'Nothing answers at http://127.0.0.1:8055.',
      hint: 'Start it.',
      actions: ['Start adapter', 'Open settings', 'Switch provider'],
    });
    assert.deepEqual(
      toPanelJob(job({ state: 'failed', providerId: 'comfyui-local', error: { code: 'UNAUTHORIZED', message: 'x' } }))
        .error?.actions,
      ['Set token', 'Troubleshooting'],
    );
  });

  it('knows whether the model follows keyframes: from health when it answers, from the configured model when the adapter is down', () => {
    assert.equal(
      followsKeyframe(
        'fastvideo-local',
        health({ followsKeyframe: true, model: KEYFRAME_FAITHFUL_MODEL }),
        FASTWAN_MODEL,
      ),
      true,
    );
    assert.equal(
      followsKeyframe('fastvideo-local', health({ state: 'down', followsKeyframe: true }), FASTWAN_MODEL),
      false,
    );
    assert.equal(followsKeyframe('fastvideo-local', undefined, KEYFRAME_FAITHFUL_MODEL), true);
    assert.equal(followsKeyframe('comfyui-local', undefined, FASTWAN_MODEL), undefined);
    assert.equal(
      followsKeyframe('comfyui-local', health({ provider: 'comfyui-local', followsKeyframe: false }), FASTWAN_MODEL),
      false,
    );
  });

  it('warns before rendering that FastWan ignores the keyframe and shrinks large sizes, offering the faithful model', () => {
    const base = {
      providerId: 'fastvideo-local' as const,
      hasKeyframe: true,
      width: 1280,
      height: 704,
      fastVideoModelId: FASTWAN_MODEL,
    };
    const fastwan = sceneNotices({ ...base, health: health({ followsKeyframe: false, model: FASTWAN_MODEL }) });
    assert.deepEqual(
      fastwan.map((n) => [n.code, n.offerFaithful]),
      [
        ['KEYFRAME_IGNORED', true],
        ['SIZE_CHANGED', true],
      ],
    );
    assert.match(fastwan[0]?.message ?? '', new RegExp(KEYFRAME_FAITHFUL_MODEL.replace(/[.]/g, '\\.')));
    assert.match(fastwan[1]?.message ?? '', /1280×704/);
    // 832x480 fits FastVideo's image area cap: only the keyframe warning.
    assert.deepEqual(
      sceneNotices({ ...base, width: 832, height: 480, health: undefined }).map((n) => n.code),
      ['KEYFRAME_IGNORED'],
    );
    assert.deepEqual(sceneNotices({ ...base, hasKeyframe: false, health: undefined }), []);
    assert.deepEqual(
      sceneNotices({ ...base, health: health({ followsKeyframe: true, model: KEYFRAME_FAITHFUL_MODEL }) }),
      [],
    );
    const comfy = sceneNotices({
      ...base,
      providerId: 'comfyui-local',
      health: health({ provider: 'comfyui-local', followsKeyframe: false, model: 'my-workflow' }),
    });
    assert.deepEqual(
      comfy.map((n) => [n.code, n.offerFaithful]),
      [['KEYFRAME_IGNORED', false]],
    );
  });

  it('offers the faithful model after a FastVideo render that ignored the keyframe or changed the size', () => {
    assert.ok(offersFaithful('KEYFRAME_IGNORED', 'fastvideo-local'));
    assert.ok(offersFaithful('SIZE_CHANGED', 'fastvideo-local'));
    assert.ok(!offersFaithful('SEED_CHANGED', 'fastvideo-local'));
    assert.ok(!offersFaithful('KEYFRAME_IGNORED', 'comfyui-local'));
  });
});

describe('scene panel messages, extension to webview', () => {
  it('accepts what the extension sends and rejects anything malformed', () => {
    assert.ok(ExtensionToWebviewSchema.safeParse({ type: 'state', state }).success);
    assert.ok(
      ExtensionToWebviewSchema.safeParse({ type: 'job', sceneId: 'lighthouse', job: state.scenes[0]?.job }).success,
    );
    const bad: unknown[] = [
      { type: 'state' },
      { type: 'state', state: { ...state, scenes: [{ ...state.scenes[0], id: '../x' }] } },
      { type: 'job', sceneId: 'lighthouse', job: { jobId: 'x', state: 'exploded' } },
      { type: 'job', sceneId: 'lighthouse', job: { jobId: 'x', state: 'running', fraction: 3 } },
      {
        type: 'job',
        sceneId: 'lighthouse',
        job: { jobId: 'x', state: 'failed', error: { code: 'X', message: 'm', actions: ['Run rm -rf'] } },
      },
      { type: 'eval', code: 'alert(1)' },
    ];
    for (const m of bad) assert.ok(!ExtensionToWebviewSchema.safeParse(m).success, JSON.stringify(m).slice(0, 120));
  });

  it('restores an older saved state without notices, and drops one that does not fit', () => {
    const old = { ...state, scenes: state.scenes.map(({ notices: _n, ...s }) => s) };
    const r = PanelStateSchema.safeParse(JSON.parse(JSON.stringify(old)));
    assert.ok(r.success);
    assert.deepEqual(r.data.scenes[0]?.notices, []);
    assert.ok(!PanelStateSchema.safeParse({ scenes: 'nope' }).success);
    assert.ok(!PanelStateSchema.safeParse(undefined).success);
  });

  it('accepts error actions from the webview only with a known action and a code-like code', () => {
    assert.ok(
      WebviewToExtensionSchema.safeParse({ type: 'errorAction', action: 'Start adapter', code: 'UNREACHABLE' }).success,
    );
    assert.ok(
      !WebviewToExtensionSchema.safeParse({ type: 'errorAction', action: 'Format disk', code: 'UNREACHABLE' }).success,
    );
    assert.ok(
      !WebviewToExtensionSchema.safeParse({ type: 'errorAction', action: 'Troubleshooting', code: '../../etc/passwd' })
        .success,
    );
    assert.ok(
      WebviewToExtensionSchema.safeParse({ type: 'runCommand', command: 'sceneToVideo.setAdapterToken' }).success,
    );
  });
});

describe('status bar tooltip in Restricted Mode', () => {
  it('says that nothing is started in an untrusted workspace', () => {
    const tip = statusTooltip('fastvideo-local', health({}), [RESTRICTED_MODE_NOTE]);
    assert.match(tip, /Restricted Mode: .*starts no process/);
    assert.match(statusTooltip('fastvideo-local', undefined, [RESTRICTED_MODE_NOTE]), /checking…\n\nRestricted Mode/);
    assert.doesNotMatch(statusTooltip('fastvideo-local', health({})), /Restricted/);
  });
});

describe('provider quick pick rows', () => {
  it("marks the active provider and shows each one's health, or that it is being checked", () => {
    assert.deepEqual(providerPickItem('fastvideo-local', health({ summary: 'preview backend' }), 'fastvideo-local'), {
      label: '$(check) FastVideo',
      description: 'fastvideo-local · $(pass-filled) ok',
      detail: 'preview backend — http://127.0.0.1:8055',
    });
    assert.deepEqual(providerPickItem('comfyui-local', undefined, 'fastvideo-local'), {
      label: 'ComfyUI',
      description: 'comfyui-local · $(sync~spin) checking',
      detail: 'checking…',
    });
    const down = providerPickItem(
      'comfyui-local',
      health({
        provider: 'comfyui-local',
        state: 'down',
        summary: 'Nothing answers at http://127.0.0.1:8188.',
        endpoint: 'http://127.0.0.1:8188',
      }),
      'fastvideo-local',
    );
    assert.match(down.description, /down$/);
    assert.equal(down.detail, 'Nothing answers at http://127.0.0.1:8188.', 'the endpoint is not repeated');
  });
});

describe('scene panel resource roots', () => {
  it('adds a folder only for a timeline outside every workspace folder, with Windows and POSIX paths', () => {
    assert.equal(extraResourceRoot(['/home/a/films'], '/home/a/films/one/x.timeline.json', path.posix), undefined);
    assert.equal(
      extraResourceRoot(['/home/a/films'], '/home/a/films-other/x.timeline.json', path.posix),
      '/home/a/films-other',
    );
    assert.equal(extraResourceRoot([], '/tmp/x.timeline.json', path.posix), '/tmp');
    assert.equal(
      extraResourceRoot(['C:\\Users\\a\\films'], 'c:\\users\\a\\films\\x.timeline.json', path.win32),
      undefined,
    );
    assert.equal(extraResourceRoot(['C:\\Users\\a\\films'], 'D:\\films\\x.timeline.json', path.win32), 'D:\\films');
    assert.ok(!isInside('/home/a/films', '/home/a/films/../secrets', path.posix));
  });
});

describe('the timeline editor state', () => {
  it('carries the outline of any JSON text, clamped to what the webview accepts, and refuses edit intents that do not fit', () => {
    const long = 'x'.repeat(30_000);
    const text = JSON.stringify({
      version: 2,
      title: 'T',
      scenes: [{ id: '../bad id', title: 'A', prompt: long, shots: [{ id: 's', seed: 7 }] }],
    });
    const root = timelineTree(text);
    assert.ok(root);
    const outline = clampOutline(timelineOutline(root));
    const state = {
      problems: ['Line 1: bad id'],
      provider: { id: 'x', state: 'ok', summary: '' },
      scenes: [],
      outline,
      editable: true,
    };
    const parsed = PanelStateSchema.safeParse(state);
    assert.ok(parsed.success, JSON.stringify(!parsed.success && parsed.error.issues));
    assert.equal(parsed.data.outline?.scenes[0]?.id, '../bad id', 'an id being typed is shown as it is');
    assert.equal(parsed.data.outline?.scenes[0]?.shots[0]?.fields.seed, 7);
    const item = { scene: 0, sceneId: 'a' };
    for (const ok of [
      { type: 'edit', item, field: 'prompt', value: 'p' },
      { type: 'edit', item, field: 'seed', value: null },
      { type: 'move', item: { ...item, shot: 1, shotId: 's' }, to: 0 },
      { type: 'dropKeyframe', item, which: 'end', uri: 'file:///a.png' },
      { type: 'startTimeline' },
    ])
      assert.ok(WebviewToExtensionSchema.safeParse(ok).success, JSON.stringify(ok));
    for (const bad of [
      { type: 'edit', item, field: 'keyframes', value: 'x' },
      { type: 'edit', item, field: 'prompt', value: { a: 1 } },
      { type: 'move', item: { scene: -1, sceneId: 'a' }, to: 0 },
      { type: 'dropKeyframe', item, which: 'middle', uri: 'file:///a.png' },
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
    ])
      assert.ok(!WebviewToExtensionSchema.safeParse(bad).success, JSON.stringify(bad));
  });
});
