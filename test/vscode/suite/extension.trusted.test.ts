import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../../../src/vscode/commandIds';
import { keepPickerOpen } from '../../../src/vscode/quickPick';
import { api, until, workspaceDir } from './helpers';

const ADAPTER = process.env.STV_ADAPTER_URL ?? '';
const COMMANDS = COMMAND_IDS;

async function setFastVideo(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('fastVideo').update(key, value, vscode.ConfigurationTarget.Workspace);
}

describe('Scene to Video in a real VS Code extension host', () => {
  const timeline = () => path.join(workspaceDir(), 'sample.timeline.json');

  before(async () => {
    assert.ok(ADAPTER, 'the harness passes the adapter URL');
    await vscode.workspace
      .getConfiguration('sceneToVideo')
      .update('videoProvider', 'fastvideo-local', vscode.ConfigurationTarget.Workspace);
    await setFastVideo('endpointUrl', ADAPTER);
  });

  it('registers every command', async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    for (const c of COMMANDS) assert.ok(all.includes(c), `${c} is not registered`);
  });

  it('reads settings and applies changes without a reload (a render lands in the new outputDir)', async () => {
    const a = await api();
    await setFastVideo('outputDir', 'clips');
    await until('the new outputDir', () => a.settings().fastVideo.outputDir === 'clips');
    await vscode.commands.executeCommand('sceneToVideo.renderSceneFastVideo', timeline(), 'forest-stream');
    const dir = path.join(workspaceDir(), 'clips', 'forest-stream');
    await until('an MP4 under clips/', () => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.mp4')));
    await setFastVideo('outputDir', 'renders');
    await until('outputDir back', () => a.settings().fastVideo.outputDir === 'renders');
    assert.equal(a.settings().videoProvider, 'fastvideo-local');
  });

  it('shows a healthy and a down adapter in the status bar, re-checked when the endpoint setting changes', async () => {
    const a = await api();
    await a.refreshHealth();
    await until('status ok', () => a.statusBarText().includes('FastVideo: ok'));
    // No refreshHealth() from here on: the extension re-checks by itself on a settings change.
    await setFastVideo('endpointUrl', 'http://127.0.0.1:9');
    await until('status down', () => a.statusBarText().includes('FastVideo: down'), 15_000);
    await setFastVideo('endpointUrl', ADAPTER);
    await until('status ok again', () => a.statusBarText().includes('FastVideo: ok'), 15_000);
  });

  it('renders a scene through the real adapter: an MP4 and its sidecar', async () => {
    await vscode.commands.executeCommand('sceneToVideo.renderSceneFastVideo', timeline(), 'lighthouse');
    const dir = path.join(workspaceDir(), 'renders', 'lighthouse');
    const mp4 = await until('the MP4', () =>
      existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.mp4')) : undefined,
    );
    // A real H.264 MP4 of the sample's size and length (ffprobe reads it; the sample is 640×352, 33 frames).
    const probe = JSON.parse(
      execFileSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-count_frames',
          '-select_streams',
          'v:0',
          '-show_entries',
          'stream=codec_name,width,height,nb_read_frames',
          '-of',
          'json',
          path.join(dir, mp4),
        ],
        { encoding: 'utf8' },
      ),
    ) as { streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[] };
    assert.deepEqual(probe.streams[0], { codec_name: 'h264', width: 640, height: 352, nb_read_frames: '33' });
    const side = JSON.parse(readFileSync(path.join(dir, mp4.replace(/\.mp4$/, '.json')), 'utf8')) as {
      providerId: string;
      seed: number;
      request: { prompt: string };
    };
    assert.equal(side.providerId, 'fastvideo-local');
    assert.equal(side.seed, 1234);
    assert.match(side.request.prompt, /lighthouse/);
  });

  it('cancel stops the job on the adapter (GET /jobs/{id} says cancelled)', async () => {
    const a = await api();
    const running = new Promise<string>((resolve) => {
      const off = a.queue.onDidChange((j) => {
        if (j.sceneId === 'long-take' && j.state === 'running' && j.progress?.stage === 'encoding') {
          off();
          resolve(j.jobId);
        }
      });
    });
    const done = vscode.commands.executeCommand(
      'sceneToVideo.renderSceneFastVideo',
      path.join(workspaceDir(), 'long.timeline.json'),
      'long-take',
    );
    const jobId = await running;
    // The extension's job id is its own; the adapter's is the one it is rendering right now.
    const busy = (await (await fetch(`${ADAPTER}/health`)).json()) as { runningJobId: string | null };
    const adapterJobId = busy.runningJobId;
    assert.ok(adapterJobId, 'the adapter is rendering the job before the cancel');
    await vscode.commands.executeCommand('sceneToVideo.cancelRender');
    const final = await a.queue.whenDone(jobId);
    await done;
    assert.equal(final.state, 'cancelled');
    const onAdapter = await until(
      'the adapter to record the cancel',
      async () => {
        const job = (await (await fetch(`${ADAPTER}/jobs/${adapterJobId}`)).json()) as {
          status: string;
          finishedAt: string | null;
        };
        return job.status === 'running' ? undefined : job;
      },
      15_000,
    );
    assert.equal(onAdapter.status, 'cancelled', `GET /jobs/${adapterJobId}`);
    assert.ok(onAdapter.finishedAt, 'the adapter stopped the job');
    const health = (await (await fetch(`${ADAPTER}/health`)).json()) as {
      runningJobId: string | null;
      queueDepth: number;
    };
    assert.equal(health.runningJobId, null, 'nothing is rendering on the adapter any more');
    assert.equal(health.queueDepth, 0);
    const dir = path.join(workspaceDir(), 'renders', 'long-take');
    assert.ok(
      !existsSync(dir) || readdirSync(dir).every((f) => !f.endsWith('.mp4')),
      'no MP4 is left from the cancelled render',
    );
  });

  it('opens the scene panel for the timeline', async () => {
    const a = await api();
    await vscode.commands.executeCommand('sceneToVideo.openPanel', timeline());
    await until('the panel', () => a.panel());
    assert.equal(a.panel()?.timelineFile, timeline());
  });

  it('"Open documentation" shows a shipped guide in the Markdown preview', async () => {
    await vscode.commands.executeCommand('sceneToVideo.openDocs', 'comfyui.md');
    const tab = await until('a Markdown preview of comfyui.md', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find(
          (t) =>
            t.input instanceof vscode.TabInputWebview &&
            t.input.viewType.includes('markdown.preview') &&
            t.label.includes('comfyui.md'),
        ),
    );
    assert.ok(tab.isActive, 'the preview is the active tab');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('pickers stay open on focus loss only while a webview (the scene panel) is the active editor', async () => {
    await vscode.commands.executeCommand('sceneToVideo.openPanel', timeline());
    await until('the scene panel as the active tab', () => keepPickerOpen());
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(timeline()));
    assert.equal(keepPickerOpen(), false, 'a text editor is active: pickers close on focus loss as usual');
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
