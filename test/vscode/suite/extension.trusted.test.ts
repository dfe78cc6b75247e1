import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, until, workspaceDir } from './helpers';

const ADAPTER = process.env.STV_ADAPTER_URL ?? '';
const COMMANDS = ['renderSceneFastVideo', 'renderSceneComfyUI', 'renderScene', 'renderAll', 'cancelRender', 'switchProvider', 'openPanel', 'startAdapter', 'stopAdapter', 'checkHealth', 'importGemDirect', 'importLocalGenSettings', 'exportLocalGenSettings', 'showLog', 'setAdapterToken', 'openSample', 'setupAdapter'].map((c) => `sceneToVideo.${c}`);

async function setFastVideo(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('fastVideo').update(key, value, vscode.ConfigurationTarget.Workspace);
}

describe('Scene to Video in a real VS Code extension host', () => {
  const timeline = () => path.join(workspaceDir(), 'sample.timeline.json');

  before(async () => {
    assert.ok(ADAPTER, 'the harness passes the adapter URL');
    await vscode.workspace.getConfiguration('sceneToVideo').update('videoProvider', 'fastvideo-local', vscode.ConfigurationTarget.Workspace);
    await setFastVideo('endpointUrl', ADAPTER);
  });

  it('registers every command', async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    for (const c of COMMANDS) assert.ok(all.includes(c), `${c} is not registered`);
  });

  it('reads settings and applies changes without a reload', async () => {
    const a = await api();
    await setFastVideo('outputDir', 'clips');
    await until('the new outputDir', () => a.settings().fastVideo.outputDir === 'clips');
    await setFastVideo('outputDir', 'renders');
    await until('outputDir back', () => a.settings().fastVideo.outputDir === 'renders');
    assert.equal(a.settings().videoProvider, 'fastvideo-local');
  });

  it('shows a healthy and a down adapter in the status bar', async () => {
    const a = await api();
    await a.refreshHealth();
    await until('status ok', () => a.statusBarText().includes('FastVideo: ok'));
    await setFastVideo('endpointUrl', 'http://127.0.0.1:9');
    await until('status down', async () => (await a.refreshHealth(), a.statusBarText().includes('FastVideo: down')));
    await setFastVideo('endpointUrl', ADAPTER);
    await until('status ok again', async () => (await a.refreshHealth(), a.statusBarText().includes('FastVideo: ok')));
  });

  it('renders a scene through the real adapter: an MP4 and its sidecar', async () => {
    await vscode.commands.executeCommand('sceneToVideo.renderSceneFastVideo', timeline(), 'lighthouse');
    const dir = path.join(workspaceDir(), 'renders', 'lighthouse');
    const mp4 = await until('the MP4', () => (existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.mp4')) : undefined));
    const bytes = readFileSync(path.join(dir, mp4));
    assert.equal(bytes.toString('latin1', 4, 8), 'ftyp');
    const side = JSON.parse(readFileSync(path.join(dir, mp4.replace(/\.mp4$/, '.json')), 'utf8')) as { providerId: string; seed: number; request: { prompt: string } };
    assert.equal(side.providerId, 'fastvideo-local');
    assert.equal(side.seed, 1234);
    assert.match(side.request.prompt, /lighthouse/);
  });

  it('cancel stops the job on the adapter', async () => {
    const a = await api();
    const running = new Promise<string>((resolve) => {
      const off = a.queue.onDidChange((j) => {
        if (j.sceneId === 'long-take' && j.state === 'running' && j.progress?.stage === 'encoding') {
          off();
          resolve(j.jobId);
        }
      });
    });
    const done = vscode.commands.executeCommand('sceneToVideo.renderSceneFastVideo', path.join(workspaceDir(), 'long.timeline.json'), 'long-take');
    const jobId = await running;
    await vscode.commands.executeCommand('sceneToVideo.cancelRender');
    const final = await a.queue.whenDone(jobId);
    await done;
    assert.equal(final.state, 'cancelled');
    const health = (await (await fetch(`${ADAPTER}/health`)).json()) as { runningJobId: string | null; queueDepth: number };
    assert.equal(health.runningJobId, null, 'nothing is rendering on the adapter any more');
    assert.equal(health.queueDepth, 0);
    assert.ok(!existsSync(path.join(workspaceDir(), 'renders', 'long-take')) || readdirSync(path.join(workspaceDir(), 'renders', 'long-take')).every((f) => !f.endsWith('.mp4')));
  });

  it('opens the scene panel for the timeline', async () => {
    const a = await api();
    await vscode.commands.executeCommand('sceneToVideo.openPanel', timeline());
    await until('the panel', () => a.panel());
    assert.equal(a.panel()?.timelineFile, timeline());
  });

  it('reports timeline problems in the Problems panel at their line', async () => {
    const doc = await vscode.workspace.openTextDocument(path.join(workspaceDir(), 'broken.timeline.json'));
    await vscode.window.showTextDocument(doc);
    const diags = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'Scene to Video');
      return d.length ? d : undefined;
    });
    const frames = diags.find((d) => /Nearest valid: 117 or 121/.test(d.message));
    assert.ok(frames, diags.map((d) => d.message).join('\n'));
    assert.equal(frames.range.start.line, 3);
  });
});
