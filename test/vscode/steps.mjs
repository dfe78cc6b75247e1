// What the end-to-end walks (e2e.mjs, firstRun.mjs, e2e-comfyui.mjs) share: the status bar item's
// selector, a step recorder that prints mocha-style lines, playing a <video> for real, the workbench
// payload that loads the development copy, the command palette and the scene panel's frame.

export const STATUS = '[id="scene-to-video.scene-to-video.sceneToVideo.status"]';

/** `step(name, fn)` runs fn, prints ✔/✖ with its time, records it in `results`, and rethrows. */
export function stepRecorder() {
  const results = [];
  const step = async (name, fn) => {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true });
      console.log(`    ✔ ${name} (${Date.now() - t0}ms)`);
    } catch (e) {
      results.push({ name, ok: false });
      console.log(
        `    ✖ ${name}\n      ${String(e?.message ?? e)
          .split('\n')
          .slice(0, 6)
          .join('\n      ')}`,
      );
      throw e;
    }
  };
  return { results, step };
}

/** Plays the video past `seconds` (playable, not just parsable), then pauses it; throws if it stalls. */
export async function playPast(video, seconds) {
  const played = await video.evaluate(
    (v, s) =>
      new Promise((resolve, reject) => {
        v.muted = true;
        const tick = () => {
          if (v.currentTime > s) {
            v.pause();
            resolve(v.currentTime);
          }
        };
        v.addEventListener('timeupdate', tick);
        v.play().catch(reject);
        setTimeout(() => reject(new Error(`stalled at ${v.currentTime} s (readyState ${v.readyState})`)), 20_000);
      }),
    seconds,
  );
  if (!(played > seconds)) throw new Error(`the video played only to ${played} s`);
  return played;
}

/** The workbench URL payload: the development copy of the extension when `devPath` is given. */
export function workbenchPayload(devPath) {
  return JSON.stringify([
    ...(devPath ? [['extensionDevelopmentPath', `vscode-remote://remote${devPath}`]] : []),
    ['skipWelcome', 'true'],
  ]);
}

/** Runs a command by its title from the command palette. */
export function commandPalette(page) {
  return async (title) => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 20_000 });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter');
  };
}

/**
 * The scene panel's content frame (a webview inside the workbench's iframe): ours by its extension
 * id, since another webview (the film's video preview) may be open beside it.
 */
export function scenePanel(page) {
  return () =>
    page
      .frameLocator('iframe.webview.ready[src*="extensionId=scene-to-video.scene-to-video"]')
      .frameLocator('iframe#active-frame');
}
