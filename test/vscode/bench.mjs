// The extension's own costs inside a real VS Code (code-server + Chromium), for `npm run bench`:
//  - activation time as VS Code itself measures it ("Developer: Show Running Extensions"), against
//    the built-in Git extension activated in the same window (the baseline of the ratio);
//  - the scene panel's time to first paint with 200 scenes, against the 3-scene sample: from the
//    command palette's Enter to the webview's `stv:scenes-painted` mark (set after the frame that
//    shows the scenes). Called by test/vscode/harness.mjs (`harness.mjs bench`), which owns the
//    servers; each run is a fresh window, so a fresh extension host.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function workspace(root, scenes, adapterUrl, cleanups) {
  const ws = mkdtempSync(path.join(os.tmpdir(), `stv-bench-${scenes}-`));
  cleanups.push(async () => rmSync(ws, { recursive: true, force: true }));
  cpSync(path.join(root, 'media/sample'), ws, {
    recursive: true,
    filter: (s) => !/renders|artifacts|\.scene-to-video/.test(s),
  });
  const file = path.join(ws, 'sample.timeline.json');
  const t = JSON.parse(readFileSync(file, 'utf8'));
  // Scenes beyond the sample's reuse its keyframes and prompts under new ids.
  t.scenes = Array.from({ length: scenes }, (_, i) => ({
    ...t.scenes[i % t.scenes.length],
    id: `scene-${String(i + 1).padStart(3, '0')}`,
    title: `Scene ${i + 1}`,
  }));
  writeFileSync(file, JSON.stringify(t, null, 2));
  mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  writeFileSync(
    path.join(ws, '.vscode/settings.json'),
    JSON.stringify({
      'sceneToVideo.videoProvider': 'fastvideo-local',
      'fastVideo.endpointUrl': adapterUrl,
      'comfyUI.url': 'http://127.0.0.1:9',
      'sceneToVideo.healthCheckIntervalSeconds': 0,
    }),
  );
  return ws;
}

async function palette(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 20_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 20_000 });
}

/** Activation times (ms) VS Code shows for our extension and for Git in this window. */
async function activationTimes(page) {
  await palette(page, 'Developer: Show Running Extensions');
  await page.keyboard.press('Enter');
  const ms = async (name) => {
    const row = page
      .locator('.runtime-extensions-editor .monaco-list-row', {
        has: page.locator('.name', { hasText: new RegExp(`^${name}$`) }),
      })
      .first();
    await row.locator('.activation-time').waitFor({ timeout: 30_000 });
    const text = await row.locator('.activation-time').innerText();
    const m = /([\d.]+)\s*ms/.exec(text);
    if (!m) throw new Error(`no activation time for ${name}: "${text}"`);
    return Number(m[1]);
  };
  return { ours: await ms('Scene to Video'), git: await ms('Git') };
}

/** Enter on "Open scene panel" → the webview's paint mark, in ms (epoch clocks of one machine). */
async function panelFirstPaint(page, scenes) {
  await palette(page, 'Scene to Video: Open scene panel');
  const t0 = Date.now();
  await page.keyboard.press('Enter');
  const panel = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const sections = panel.locator('section.scene');
  await sections.nth(scenes - 1).waitFor({ timeout: 60_000 });
  const frame = await (await sections.first().elementHandle()).ownerFrame();
  const painted = await frame.waitForFunction(
    () => {
      const m = performance.getEntriesByName('stv:scenes-painted')[0];
      return m ? performance.timeOrigin + m.startTime : 0;
    },
    undefined,
    { timeout: 30_000 },
  );
  const n = await sections.count();
  if (n !== scenes) throw new Error(`the panel shows ${n} scenes, expected ${scenes}`);
  return (await painted.jsonValue()) - t0;
}

export async function runVsCodeBench({ browser, url, root, adapterUrl, cleanups, runs = 4 }) {
  const result = { activationMs: [], gitActivationMs: [], panel3Ms: [], panel200Ms: [] };
  const ws3 = workspace(root, 3, adapterUrl, cleanups);
  const ws200 = workspace(root, 200, adapterUrl, cleanups);
  const payload = encodeURIComponent(JSON.stringify([['skipWelcome', 'true']]));
  for (let i = 0; i < runs; i++) {
    for (const [ws, scenes] of [
      [ws3, 3],
      [ws200, 200],
    ]) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${payload}`);
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
      // Activated and healthy: the extension's startup work is done.
      await page
        .locator('[id="scene-to-video.scene-to-video.sceneToVideo.status"]', { hasText: 'FastVideo: ok' })
        .waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1500); // let the other startup extensions settle
      (scenes === 3 ? result.panel3Ms : result.panel200Ms).push(await panelFirstPaint(page, scenes));
      // Every window activates the extension afresh: both count toward activation.
      const a = await activationTimes(page);
      result.activationMs.push(a.ours);
      result.gitActivationMs.push(a.git);
      await page.close();
    }
  }
  const act = median(result.activationMs);
  const git = median(result.gitActivationMs);
  const p3 = median(result.panel3Ms);
  const p200 = median(result.panel200Ms);
  return {
    runs,
    activationMs: act,
    gitActivationMs: git,
    activationRatioToGit: Math.round((act / git) * 100) / 100,
    panel3Ms: p3,
    panel200Ms: p200,
    panelRatio200to3: Math.round((p200 / p3) * 100) / 100,
    raw: result,
  };
}
