import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { WebviewToExtensionSchema } from '../../src/protocol/messages';
import { DEFAULT_SETTINGS, FastVideoSettingsSchema, ComfyUISettingsSchema } from '../../src/core/settings/schema';
import { actionsFor } from '../../src/vscode/errorActions';
import { contentSecurityPolicy, makeNonce, panelHtml } from '../../src/vscode/panelHtml';
import { statusText, statusTooltip } from '../../src/vscode/statusFormat';
import { repoRoot } from '../helpers/paths';

describe('scene panel security', () => {
  it('allows no remote or inline script, only the nonce and the webview source', () => {
    const nonce = makeNonce();
    const csp = contentSecurityPolicy('https://file+.vscode-resource.vscode-cdn.net', nonce);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:\/\/(?!file\+)|\*/);
    const html = panelHtml({
      cspSource: 'vscode-resource:',
      nonce,
      scriptUri: 'vscode-resource:/dist/webview.js',
      styleUri: 'vscode-resource:/dist/webview.css',
      codiconsUri: 'vscode-resource:/dist/codicons/codicon.css',
      title: 'Scenes <x>',
    });
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? '');
    assert.equal(scripts.length, 1);
    assert.ok(
      scripts.every((a) => a.includes(`nonce="${nonce}"`) && a.includes('src=')),
      'every script has the nonce and a src (no inline code)',
    );
    assert.ok(!html.includes('Scenes <x>'), 'the title is escaped');
    assert.notEqual(makeNonce(), makeNonce());
  });

  it('validates every message from the webview', () => {
    const ok = [
      { type: 'ready' },
      { type: 'render', sceneId: 'city-rain', seed: 5 },
      { type: 'cancel', jobId: '3b241101-e2bb-4255-8caf-4136c566a962' },
      { type: 'runCommand', command: 'sceneToVideo.startAdapter' },
    ];
    for (const m of ok) assert.ok(WebviewToExtensionSchema.safeParse(m).success, JSON.stringify(m));
    const bad = [
      { type: 'render', sceneId: '../../etc' },
      { type: 'render', sceneId: 'a', seed: -1 },
      { type: 'cancel', jobId: 'x' },
      { type: 'runCommand', command: 'workbench.action.terminal.sendSequence' },
      { type: 'eval', code: 'x' },
      'ready',
      null,
    ];
    for (const m of bad) assert.ok(!WebviewToExtensionSchema.safeParse(m).success, JSON.stringify(m));
  });
});

describe('status bar text', () => {
  const base = {
    provider: 'fastvideo-local' as const,
    endpoint: 'http://127.0.0.1:8055',
    checkedAt: '2026-11-24T03:00:00Z',
  };
  it('shows provider and state, and the tooltip says endpoint, model, GPU, VRAM and location', () => {
    assert.equal(statusText('fastvideo-local', undefined), '$(sync~spin) FastVideo: checking');
    assert.equal(
      statusText('comfyui-local', { ...base, provider: 'comfyui-local', state: 'down', summary: 'x' }),
      '$(error) ComfyUI: down',
    );
    const tip = statusTooltip('fastvideo-local', {
      ...base,
      state: 'ok',
      summary: 'loaded',
      model: 'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
      followsKeyframe: false,
      gpuName: 'RTX 4090',
      vramFreeMb: 14336,
      vramTotalMb: 24576,
      location: 'WSL2: Ubuntu-24.04',
    });
    for (const s of [
      'http://127.0.0.1:8055',
      'FastWan2.2-TI2V-5B',
      'ignores keyframes',
      'RTX 4090',
      '14.0 of 24.0 GB',
      'WSL2: Ubuntu-24.04',
      'Checked',
    ])
      assert.ok(tip.includes(s), s);
    // "not AI" once: the preview backend's model name already says it; another model gets the suffix.
    const preview = statusTooltip('fastvideo-local', {
      ...base,
      state: 'ok',
      summary: 'preview backend',
      model: 'preview (not AI: keyframe camera move)',
      notAi: true,
    });
    assert.equal(preview.match(/not AI/g)?.length, 1, preview);
    assert.match(
      statusTooltip('fastvideo-local', { ...base, state: 'ok', summary: 'x', model: 'stand-in', notAi: true }),
      /stand-in \(not AI\)/,
    );
    // A front door of a Ray cluster: its workers, how many are busy, and those not taking jobs.
    const farm = (cluster: { workers: number; ready: number; busy: number; nodes: number }) =>
      statusTooltip('fastvideo-local', { ...base, state: 'ok', summary: 'x', cluster });
    assert.match(
      farm({ workers: 4, ready: 4, busy: 1, nodes: 2 }),
      /\| Ray cluster \| 4 workers \(1 busy\) on 2 nodes \|/,
    );
    assert.match(
      farm({ workers: 2, ready: 1, busy: 1, nodes: 1 }),
      /2 workers \(1 busy\) on 1 node, 1 starting or lost/,
    );
    assert.doesNotMatch(statusTooltip('fastvideo-local', { ...base, state: 'ok', summary: 'x' }), /Ray cluster/);
  });

  it('offers the action that fixes each error', () => {
    assert.deepEqual(actionsFor('UNREACHABLE', 'fastvideo-local')[0], 'Start adapter');
    assert.deepEqual(actionsFor('ADAPTER_CRASHED', 'fastvideo-local'), ['Restart adapter', 'Show log']);
    assert.deepEqual(actionsFor('UNAUTHORIZED', 'fastvideo-local')[0], 'Set token');
    assert.deepEqual(actionsFor('CANCELLED', 'fastvideo-local'), []);
  });
});

describe('package.json contributes.configuration', () => {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default: unknown }> }[] };
  };
  const props = Object.assign({}, ...manifest.contributes.configuration.map((c) => c.properties)) as Record<
    string,
    { default: unknown }
  >;
  it('declares every setting of the settings model, with the same default', () => {
    const expected: Record<string, unknown> = {
      'sceneToVideo.videoProvider': DEFAULT_SETTINGS.videoProvider,
      'sceneToVideo.healthCheckIntervalSeconds': DEFAULT_SETTINGS.healthCheckIntervalSeconds,
      'sceneToVideo.ffmpegPath': DEFAULT_SETTINGS.ffmpegPath,
      'sceneToVideo.openTimelinesInEditor': DEFAULT_SETTINGS.openTimelinesInEditor,
    };
    for (const k of Object.keys(FastVideoSettingsSchema.shape))
      expected[`fastVideo.${k}`] = DEFAULT_SETTINGS.fastVideo[k as keyof typeof DEFAULT_SETTINGS.fastVideo];
    for (const k of Object.keys(ComfyUISettingsSchema.shape))
      expected[`comfyUI.${k}`] = DEFAULT_SETTINGS.comfyUI[k as keyof typeof DEFAULT_SETTINGS.comfyUI];
    assert.deepEqual(Object.keys(props).sort(), Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(props[k]?.default, v, k);
  });

  it('keeps process-starting settings out of untrusted workspaces', () => {
    const m = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
    };
    assert.equal(m.capabilities.untrustedWorkspaces.supported, 'limited');
    for (const k of [
      'sceneToVideo.ffmpegPath',
      'fastVideo.pythonPath',
      'fastVideo.modelPath',
      'fastVideo.autoStart',
      'comfyUI.workflowPath',
    ])
      assert.ok(m.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(k), k);
  });
});
