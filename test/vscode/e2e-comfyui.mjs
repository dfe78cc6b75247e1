// End to end through VS Code's real UI with a REAL ComfyUI (issue 13): the scene panel's Render
// button and the command palette each render a scene through ComfyUI (model-free slow workflow,
// test/fixtures/comfyui), the panel shows progress, the MP4 plays, and the panel's Cancel stops a
// render that ComfyUI is running — its /queue and /history confirm it. Called by harness.mjs when
// COMFYUI_URL is set (scripts/test.sh starts a ComfyUI and sets it).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { STATUS, commandPalette, playPast, scenePanel, stepRecorder, workbenchPayload } from './steps.mjs';

export const COMFY_E2E_STEPS = 4;

/** A copy of the sample whose provider is ComfyUI with the slow model-free workflow. */
export function makeComfyWorkspace(root, comfyUrl) {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'stv-ws-comfyui-'));
  cpSync(path.join(root, 'media/sample'), ws, {
    recursive: true,
    filter: (s) => !/renders|artifacts|\.scene-to-video/.test(s),
  });
  mkdirSync(path.join(ws, '.vscode'));
  const fixtures = path.join(root, 'test/fixtures/comfyui');
  writeFileSync(
    path.join(ws, '.vscode/settings.json'),
    JSON.stringify(
      {
        'sceneToVideo.videoProvider': 'comfyui-local',
        'sceneToVideo.healthCheckIntervalSeconds': 0,
        'comfyUI.url': comfyUrl,
        'comfyUI.workflowPath': path.join(fixtures, 'model-free-slow.workflow.json'),
        'comfyUI.mapping': JSON.parse(readFileSync(path.join(fixtures, 'model-free-slow.mapping.json'), 'utf8')),
        'fastVideo.endpointUrl': 'http://127.0.0.1:9',
      },
      null,
      2,
    ),
  );
  return ws;
}

export async function runComfyE2E({ browser, url, ws, root, devPath, comfyUrl }) {
  const { results, step } = stepRecorder();
  const comfy = async (p) => (await fetch(`${comfyUrl}${p}`)).json();
  const ours = (row) => String(row?.[3]?.client_id ?? '').startsWith('scene-to-video-');
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const payload = workbenchPayload(devPath);
  const palette = commandPalette(page);
  const panel = scenePanel(page);
  /** Watches the scene's progress until its video is listed; returns the labels seen, then plays it. */
  const progressUntilPlayable = async (scene) => {
    const progress = panel().locator(`[data-testid="progress-${scene}"]`);
    await progress.waitFor({ timeout: 30_000 });
    const video = panel().locator(`section[data-scene="${scene}"] video`).first();
    const seen = new Set();
    for (const deadline = Date.now() + 120_000; !(await video.count()); await page.waitForTimeout(150)) {
      if (Date.now() > deadline)
        throw new Error(`no output listed within 120 s; progress seen: ${[...seen].join(' | ')}`);
      const text = (await progress.innerText({ timeout: 1_000 }).catch(() => '')).replace(/\s+/g, ' ').trim();
      if (text) seen.add(text);
    }
    if (seen.size < 2) throw new Error(`the progress never moved: ${[...seen].join(' | ') || '(nothing)'}`);
    await playPast(video, 0.5);
    return [...seen];
  };
  console.log('  end to end through the UI with a real ComfyUI (Playwright)');
  try {
    await step('opens a workspace set to ComfyUI; the status bar shows ComfyUI healthy', async () => {
      await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
      await page.locator(STATUS, { hasText: 'ComfyUI: ok' }).waitFor({ timeout: 60_000 });
      await palette('Scene to Video: Open scene panel');
      await panel().locator('section[data-scene="lighthouse"] img.thumb').waitFor({ timeout: 30_000 });
    });
    await step("the scene panel's Render button renders through ComfyUI: progress, then a playable MP4", async () => {
      await panel().locator('section[data-scene="lighthouse"] vscode-button', { hasText: 'Render' }).first().click();
      const seen = await progressUntilPlayable('lighthouse');
      console.log(`      progress seen: ${seen.join(' | ')}`);
    });
    await step('"Render scene with ComfyUI" from the command palette: progress, then a playable MP4', async () => {
      const scenePick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Forest stream' }).first();
      await palette('Scene to Video: Render scene with ComfyUI');
      if (
        !(await scenePick.click({ timeout: 15_000 }).then(
          () => true,
          () => false,
        ))
      ) {
        await page.keyboard.press('Escape');
        await palette('Scene to Video: Render scene with ComfyUI');
        await scenePick.click({ timeout: 20_000 });
      }
      await progressUntilPlayable('forest-stream');
    });
    await step("the panel's Cancel stops a render ComfyUI is running (its queue and history confirm it)", async () => {
      await panel().locator('section[data-scene="city-rain"] vscode-button', { hasText: 'Render' }).first().click();
      let promptId;
      for (const deadline = Date.now() + 60_000; !promptId; await page.waitForTimeout(100)) {
        if (Date.now() > deadline) throw new Error('ComfyUI never ran the render');
        promptId = (await comfy('/queue')).queue_running.find(ours)?.[1];
      }
      await panel().locator('section[data-scene="city-rain"] vscode-button', { hasText: 'Cancel' }).first().click();
      await panel().locator('[data-testid="progress-city-rain"]').waitFor({ state: 'detached', timeout: 30_000 });
      let entry;
      for (const deadline = Date.now() + 30_000; !entry; await page.waitForTimeout(200)) {
        if (Date.now() > deadline) throw new Error(`prompt ${promptId} never reached ComfyUI's history`);
        entry = (await comfy(`/history/${promptId}`))[promptId];
      }
      const kinds = entry.status.messages.map(([t]) => t);
      if (entry.status.status_str !== 'error' || !kinds.includes('execution_interrupted'))
        throw new Error(`not interrupted: ${entry.status.status_str} ${kinds.join(', ')}`);
      if (Object.keys(entry.outputs).length)
        throw new Error(`the cancelled prompt saved outputs: ${JSON.stringify(entry.outputs)}`);
      const q = await comfy('/queue');
      if ([...q.queue_running, ...q.queue_pending].some(ours))
        throw new Error("a prompt of ours is still in ComfyUI's queue");
      if (await panel().locator('section[data-scene="city-rain"] video').count())
        throw new Error('the cancelled render listed an output');
      await page.screenshot({ path: path.join(root, 'test-results', 'e2e-comfyui-cancelled.png') });
    });
  } catch {
    await page.screenshot({ path: path.join(root, 'test-results', 'e2e-comfyui-failure.png') }).catch(() => {});
  }
  await page.close().catch(() => {});
  return results;
}
