// The extension's costs inside a real VS Code (code-server + Chromium), for `npm run bench`:
//  - activation time as VS Code itself measures it ("Developer: Show Running Extensions"), against
//    the built-in Git extension activated in the same window (the baseline of the ratio);
//  - the timeline editor's time to first paint with 1,000 clips (100 scenes of 10 shots), against
//    the 3-scene sample: from the command palette's Enter on "Open scene panel" to the webview's
//    `stv:scenes-painted` mark (set after the frame that shows the cards);
//  - typing in a prompt field of either: from the keystroke to the edit in the document
//    (`stv:keystroke-to-document`, which includes the editor's short pause before it sends typing),
//    from the edit posted to it being in the document (`stv:edit-to-document`: the message, the
//    minimal text edit, the WorkspaceEdit), and from the keystroke to the state that follows drawn
//    (`stv:keystroke-to-state`). Typing must not redraw the list.
// Called by test/vscode/harness.mjs (`harness.mjs bench`), which owns the servers; each run is a
// fresh window, so a fresh extension host. STV_BENCH_CLIPS=1000 (default) sets the large timeline's
// size; the same file measures an older build's panel (no fields: its typing figures stay empty).
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
  // Scenes beyond the sample's reuse its keyframes and prompts under new ids; a large timeline has
  // scenes of 10 shots each.
  const base = t.scenes.filter((s) => !s.shots);
  const shots = scenes > 10 ? 10 : 0;
  t.scenes = Array.from({ length: shots ? Math.ceil(scenes / shots) : scenes }, (_, i) => {
    const { shots: _s, ...sc } = base[i % base.length];
    return {
      ...sc,
      id: `scene-${String(i + 1).padStart(3, '0')}`,
      title: `Scene ${i + 1}`,
      ...(shots
        ? {
            shots: Array.from({ length: shots }, (_, j) => ({
              id: `shot-${j + 1}`,
              prompt: `${sc.prompt}, shot ${j + 1}`,
            })),
          }
        : {}),
    };
  });
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
  return { paintMs: (await painted.jsonValue()) - t0, frame };
}

/** Types into the first prompt field `keys` times, a pause apart; the editor's own measures, in ms. */
async function typingCosts(frame, keys = 5) {
  const field = frame.locator('vscode-textarea[data-field="prompt"] textarea').first();
  if (!(await field.count())) return { keystrokeMs: [], editMs: [], documentMs: [], stateMs: [] };
  await field.click();
  await frame.page().keyboard.press('End');
  for (let i = 0; i < keys; i++) {
    const before = await frame.evaluate(() => performance.getEntriesByName('stv:keystroke-to-state').length);
    await frame.page().keyboard.type('x');
    await frame.waitForFunction((n) => performance.getEntriesByName('stv:keystroke-to-state').length > n, before, {
      timeout: 30_000,
    });
    await frame.page().waitForTimeout(300);
  }
  return frame.evaluate(() => {
    const ms = (name) => performance.getEntriesByName(name).map((m) => m.duration);
    return {
      keystrokeMs: ms('stv:keystroke-to-document'),
      editMs: ms('stv:edit-to-document'),
      stateMs: ms('stv:keystroke-to-state'),
    };
  });
}

export async function runVsCodeBench({
  browser,
  url,
  root,
  adapterUrl,
  cleanups,
  runs = Number(process.env.STV_BENCH_RUNS ?? 4),
}) {
  const big = Number(process.env.STV_BENCH_CLIPS ?? 1000);
  const result = { activationMs: [], gitActivationMs: [], panel3Ms: [], panelBigMs: [], type3: [], typeBig: [] };
  const ws3 = workspace(root, 3, adapterUrl, cleanups);
  const wsBig = workspace(root, big, adapterUrl, cleanups);
  const payload = encodeURIComponent(JSON.stringify([['skipWelcome', 'true']]));
  for (let i = 0; i < runs; i++) {
    for (const [ws, scenes] of [
      [ws3, 3],
      [wsBig, big],
    ]) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${payload}`);
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
      // Activated and healthy: the extension's startup work is done.
      await page
        .locator('[id="scene-to-video.scene-to-video.sceneToVideo.status"]', { hasText: 'FastVideo: ok' })
        .waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1500); // let the other startup extensions settle
      const { paintMs, frame } = await panelFirstPaint(page, scenes);
      (scenes === 3 ? result.panel3Ms : result.panelBigMs).push(paintMs);
      (scenes === 3 ? result.type3 : result.typeBig).push(await typingCosts(frame));
      // Every window activates the extension afresh: both count toward activation.
      const a = await activationTimes(page).catch(async (e) => {
        await page.screenshot({ path: path.join(root, 'test-results', 'bench-failure.png') }).catch(() => {});
        throw e;
      });
      result.activationMs.push(a.ours);
      result.gitActivationMs.push(a.git);
      await page.close();
    }
  }
  const act = median(result.activationMs);
  const git = median(result.gitActivationMs);
  const p3 = median(result.panel3Ms);
  const pBig = median(result.panelBigMs);
  const typing = (xs, k) => (xs.flatMap((x) => x[k]).length ? median(xs.flatMap((x) => x[k])) : null);
  const round = (x) => (x === null ? null : Math.round(x * 10) / 10);
  return {
    runs,
    clips: big,
    activationMs: act,
    gitActivationMs: git,
    activationRatioToGit: Math.round((act / git) * 100) / 100,
    // Both extensions activate in the same window, so each window's own ratio cancels the load that
    // window's start-up put on both (Git's figure varies by a factor of two between windows here).
    activationRatioToGitPerWindow:
      Math.round(median(result.activationMs.map((a, i) => a / result.gitActivationMs[i])) * 100) / 100,
    panel3Ms: p3,
    panelBigMs: pBig,
    panelRatioBigTo3: Math.round((pBig / p3) * 100) / 100,
    keystroke3Ms: round(typing(result.type3, 'keystrokeMs')),
    keystrokeBigMs: round(typing(result.typeBig, 'keystrokeMs')),
    edit3Ms: round(typing(result.type3, 'editMs')),
    editBigMs: round(typing(result.typeBig, 'editMs')),
    state3Ms: round(typing(result.type3, 'stateMs')),
    stateBigMs: round(typing(result.typeBig, 'stateMs')),
    raw: result,
  };
}
