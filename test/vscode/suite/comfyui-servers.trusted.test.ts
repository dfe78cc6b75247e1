/**
 * Several ComfyUI servers from inside a real VS Code extension host (issue 22): comfyUI.endpoints
 * in the workspace settings → the provider hub's pool → health per server and renders spread over
 * both. The servers are two in-process fakes of ComfyUI's protocol, started by this test in the
 * extension host itself (the harness starts at most one real ComfyUI; a second is not started).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RenderJobSnapshot } from '../../../src/core/render/queue';
import { FakeComfyUI } from '../../fakes/fakeComfyUI';
import { api, until, workspaceDir } from './helpers';

const root = path.resolve(__dirname, '../../../..');
const fixtures = path.join(root, 'test/fixtures/comfyui');

async function setComfy(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('comfyUI').update(key, value, vscode.ConfigurationTarget.Workspace);
}

describe('several ComfyUI servers (comfyUI.endpoints) in the extension host', function () {
  this.timeout(120_000);
  const fakes: FakeComfyUI[] = [];

  before(async () => {
    for (let i = 0; i < 2; i++)
      fakes.push(
        await new FakeComfyUI({
          videoFixture: path.join(root, 'test/fixtures/video/tiny.mp4'),
          stepDelayMs: 40,
        }).start(),
      );
    await setComfy(
      'endpoints',
      fakes.map((f) => f.url),
    );
    await setComfy('outputDir', 'renders-comfyui-servers');
    await setComfy('workflowPath', path.join(fixtures, 'model-free.workflow.json'));
    await setComfy('mapping', {
      '1:image': 'keyframe_image',
      '2:amount': 'length',
      '3:fps': 'fps',
      '4:filename_prefix': 'filename_prefix',
    });
    const a = await api();
    await until('the endpoints setting', () => a.settings().comfyUI.endpoints.length === 2);
  });

  after(async () => {
    for (const k of ['endpoints', 'workflowPath', 'mapping', 'outputDir']) await setComfy(k, undefined);
    // The extension reads settings on their change event: the suites that follow must not start
    // while it still renders on these servers into this folder.
    const a = await api();
    await until(
      'the endpoints setting cleared',
      () => a.settings().comfyUI.endpoints.length === 0 && a.settings().comfyUI.outputDir !== 'renders-comfyui-servers',
    );
    await Promise.all(fakes.map((f) => f.stop()));
  });

  it('reports each server and renders two scenes at once, one on each server', async () => {
    const a = await api();
    const health = await until('ComfyUI health with two servers', async () =>
      (await a.refreshHealth()).find((h) => h.provider === 'comfyui-local' && h.servers?.length === 2),
    );
    assert.deepEqual(
      health.servers?.map((s) => [s.endpoint, s.state]),
      fakes.map((f) => [f.url, 'ok']),
    );
    const timeline = path.join(workspaceDir(), 'sample.timeline.json');
    let maxRunning = 0;
    const off = a.queue.onDidChange((j: RenderJobSnapshot) => {
      if (j.providerId !== 'comfyui-local') return;
      const running = a.queue.jobs().filter((x) => x.providerId === 'comfyui-local' && x.state === 'running');
      maxRunning = Math.max(maxRunning, running.length);
    });
    try {
      for (const scene of ['lighthouse', 'forest-stream'])
        void vscode.commands.executeCommand('sceneToVideo.renderSceneComfyUI', timeline, scene);
      const jobs = await until('both renders queued', () => {
        const mine = a.queue
          .jobs()
          .filter((j) => j.providerId === 'comfyui-local' && ['lighthouse', 'forest-stream'].includes(j.sceneId));
        return mine.length === 2 ? mine : undefined;
      });
      const done = await Promise.all(jobs.map((j) => a.queue.whenDone(j.jobId)));
      assert.deepEqual(
        done.map((d) => d.state),
        ['succeeded', 'succeeded'],
        JSON.stringify(done.map((d) => d.error)),
      );
    } finally {
      off();
    }
    assert.equal(maxRunning, 2, 'both renders were in flight at once');
    assert.deepEqual(
      fakes.map((f) => [f.received.prompts.length, f.maxInFlight]),
      [
        [1, 1],
        [1, 1],
      ],
    );
  });
});
