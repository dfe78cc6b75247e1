// End to end through VS Code's real UI (code-server + Debian Chromium via Playwright): open the
// sample, run "Render scene with FastVideo" from the command palette, watch progress in the scene
// panel, see the output listed and playable, switch provider from the status bar. Screenshots go
// to docs/images/. Called by test/vscode/harness.mjs, which owns the servers.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';

const STATUS = '[id="scene-to-video.scene-to-video.sceneToVideo.status"]';

export async function runE2E({ browser, url, ws, root, devPath }) {
  const results = [];
  const step = async (name, fn) => {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true });
      console.log(`    ✔ ${name} (${Date.now() - t0}ms)`);
    } catch (e) {
      results.push({ name, ok: false });
      console.log(`    ✖ ${name}\n      ${String(e?.message ?? e).split('\n').slice(0, 6).join('\n      ')}`);
      throw e;
    }
  };
  const images = path.join(root, 'docs/images');
  mkdirSync(images, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const payload = JSON.stringify([['extensionDevelopmentPath', `vscode-remote://remote${devPath}`], ['skipWelcome', 'true']]);
  const palette = async (title) => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 20_000 });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter');
  };
  const panel = () => page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  console.log('  end to end through the UI (Playwright)');
  try {
    await step('opens the sample workspace; the status bar shows FastVideo healthy', async () => {
      await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
      await page.locator(STATUS, { hasText: 'FastVideo: ok' }).waitFor({ timeout: 60_000 });
    });
    await step('"Open scene panel" from the command palette lists the scenes with keyframes', async () => {
      await palette('Scene to Video: Open scene panel');
      await panel().locator('section[data-scene="lighthouse"] img.thumb').waitFor({ timeout: 30_000 });
      const n = await panel().locator('section.scene').count();
      if (n !== 3) throw new Error(`expected 3 scenes, saw ${n}`);
    });
    await step('"Render scene with FastVideo" shows progress in the panel, then a playable output', async () => {
      await palette('Scene to Video: Render scene with FastVideo');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Lighthouse at dusk' }).first().click({ timeout: 20_000 });
      await panel().locator('[data-testid="progress-lighthouse"]').waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(images, 'scene-panel-rendering.png') });
      const video = panel().locator('section[data-scene="lighthouse"] video').first();
      await video.waitFor({ timeout: 60_000 });
      const duration = await video.evaluate((v) => new Promise((resolve, reject) => {
        if (v.readyState >= 1) return resolve(v.duration);
        v.addEventListener('loadedmetadata', () => resolve(v.duration), { once: true });
        v.addEventListener('error', () => reject(new Error(`video error ${v.error?.code}`)), { once: true });
        setTimeout(() => reject(new Error('no metadata within 20 s')), 20_000);
      }));
      if (!(duration > 1)) throw new Error(`the rendered video reports duration ${duration}`);
      await page.screenshot({ path: path.join(images, 'scene-panel.png') });
      await page.locator(STATUS).screenshot({ path: path.join(images, 'status-bar.png') });
    });
    await step('clicking the status bar switches the provider through a quick pick with health', async () => {
      await page.locator(STATUS).click();
      const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'ComfyUI' }).first();
      await row.waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(images, 'switch-provider.png') });
      await row.click();
      await page.locator(STATUS, { hasText: 'ComfyUI' }).waitFor({ timeout: 30_000 });
    });
  } catch {
    await page.screenshot({ path: path.join(root, 'test-results', 'e2e-failure.png') }).catch(() => {});
  }
  await page.close().catch(() => {});
  return results;
}
