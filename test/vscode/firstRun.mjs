// The first ten minutes (issue 15), through VS Code's real UI: an empty folder (one image, no
// timeline, no adapter anywhere) → "New timeline" → keyframe path completion → "Render scene with
// FastVideo" → the one notification that offers a set-up (installed .vsix: a real venv + pip into
// STV_HOME) or a start (development copy: the repository's python/.venv) with the preview backend
// → the render goes on by itself → the MP4 plays in the scene panel. No error notification may
// show on the way. Screenshots go to docs/images/. Called by test/vscode/harness.mjs.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { playPast, scenePanel, workbenchPayload } from './steps.mjs';

/** How many steps a complete run has (the harness counts a shorter run as a failure). */
export const FIRST_RUN_STEPS = 4;

export async function runFirstRun({ browser, url, ws, root, devPath }) {
  const results = [];
  const images = path.join(root, 'docs/images');
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const payload = workbenchPayload(devPath);
  /** Fails the step at once if VS Code shows an error notification (the walk must not need one). */
  const noErrors = async () => {
    const errors = page.locator('.notifications-toasts .notification-toast:has(.codicon-error)');
    if (await errors.count())
      throw new Error(`an error notification showed: ${(await errors.first().innerText()).replace(/\s+/g, ' ')}`);
  };
  const step = async (name, fn) => {
    const t0 = Date.now();
    try {
      await fn();
      await noErrors();
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
  // In an empty folder nothing activates the extension: its commands reach the palette once the
  // extension host has read its manifest, a moment after the window opens; so try a few times.
  const palette = async (title, tries = 4) => {
    for (let i = 1; ; i++) {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 20_000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
      if (
        await row.waitFor({ timeout: 10_000 }).then(
          () => true,
          () => i >= tries,
        )
      )
        break;
      await page.keyboard.press('Escape');
    }
    await page.keyboard.press('Enter');
  };
  const panel = scenePanel(page);
  const timeline = path.join(ws, 'my-first.timeline.json');
  console.log('  the first ten minutes: an empty folder to a clip (Playwright)');
  try {
    await step('"New timeline" in an empty folder writes a starter timeline with one scene and opens it', async () => {
      await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
      await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
      await palette('Scene to Video: New timeline');
      const input = page.locator('.quick-input-widget input');
      await page.locator('.quick-input-widget', { hasText: 'A name for the timeline' }).waitFor({ timeout: 20_000 });
      await input.fill('my-first');
      await page.keyboard.press('Enter');
      await page.locator('.tab', { hasText: 'my-first.timeline.json' }).waitFor({ timeout: 20_000 });
      await page.locator('.monaco-editor .view-line', { hasText: '"first-scene"' }).waitFor({ timeout: 20_000 });
      if (!existsSync(timeline)) throw new Error(`${timeline} was not written`);
      await page.screenshot({ path: path.join(images, 'new-timeline.png') });
    });
    await step('typing a keyframe path completes the images beside the timeline', async () => {
      // After "seconds": 2 (line 17 of the starter), add a keyframe property; Monaco closes the quotes.
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').fill(':17');
      await page.keyboard.press('Enter');
      await page.keyboard.press('End');
      await page.keyboard.type(',');
      await page.keyboard.press('Escape'); // no suggestion takes the Enter
      await page.keyboard.press('Enter');
      // Version 2: the start keyframe. Monaco closes the brace and the quotes as they are typed.
      await page.keyboard.type('"keyframes": { "start": "');
      const row = page.locator('.suggest-widget .monaco-list-row', { hasText: 'keyframes/harbour.png' }).first();
      if (
        !(await row.waitFor({ timeout: 10_000 }).then(
          () => true,
          () => false,
        ))
      ) {
        await page.keyboard.press('Control+Space'); // the trigger character may have gone to the auto-closed pair
        await row.waitFor({ timeout: 20_000 });
      }
      await page.screenshot({ path: path.join(images, 'keyframe-completion.png') });
      await row.click();
      const line = page.locator('.monaco-editor .view-line', { hasText: '"start": "keyframes/harbour.png' }).first();
      await line.waitFor({ timeout: 10_000 });
      // Monaco closes the quote and the brace as they are typed only when its timing allows (on a
      // loaded machine it sometimes does not): close what it left open, so the timeline stays valid.
      const shown = async () => (await line.innerText()).replace(/\u00a0/g, ' ').trimEnd();
      if (!(await shown()).includes('"keyframes/harbour.png"')) await page.keyboard.type('"');
      if (!(await shown()).endsWith('}')) {
        await page.keyboard.press('End');
        await page.keyboard.type(' }');
      }
      await page
        .locator('.monaco-editor .view-line', { hasText: '"start": "keyframes/harbour.png"' })
        .waitFor({ timeout: 10_000 });
      await page.keyboard.press('Control+S');
      await page
        .locator('.tab.dirty')
        .waitFor({ state: 'detached', timeout: 10_000 })
        .catch(() => {});
    });
    await step(
      '"Render scene with FastVideo" with no adapter offers one notification; preview sets up or starts it and the render goes on by itself',
      async () => {
        await palette('Scene to Video: Render scene with FastVideo');
        await page
          .locator('.quick-input-widget .monaco-list-row', { hasText: 'First scene' })
          .first()
          .click({ timeout: 20_000 });
        const offer = page
          .locator('.notification-toast, .notifications-center .notification-list-item', {
            hasText: 'No FastVideo adapter answers',
          })
          .first();
        if (
          !(await offer.waitFor({ timeout: 30_000 }).then(
            () => true,
            () => false,
          ))
        ) {
          // A toast can be hidden (it went to the notification centre): show the centre instead.
          await page.screenshot({ path: path.join(root, 'test-results', 'first-run-no-toast.png') });
          await palette('Notifications: Show Notifications');
          await offer.waitFor({ timeout: 30_000 });
        }
        for (const b of [
          /(Set up|Start) \(preview, no GPU\)/,
          /(Set up|Start) \(GPU\)/,
          /Use a running adapter \(URL\)/,
        ])
          await offer.getByRole('button', { name: b }).waitFor({ timeout: 5_000 });
        await page.screenshot({ path: path.join(images, 'first-render-offer.png') });
        await offer.getByRole('button', { name: /(Set up|Start) \(preview, no GPU\)/ }).click();
        const dir = path.join(ws, 'renders', 'first-scene');
        // A set-up is a real venv and pip install (minutes on a cold cache); a start is seconds.
        for (
          const deadline = Date.now() + 8 * 60_000;
          !(existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.mp4')));
          await page.waitForTimeout(1000)
        ) {
          if (Date.now() > deadline) throw new Error('no MP4 under renders/first-scene/ within 8 minutes');
          await noErrors();
        }
      },
    );
    await step('the scene panel plays the clip, labelled with the provider and backend that made it', async () => {
      await palette('Scene to Video: Open scene panel');
      const video = panel().locator('section[data-scene="first-scene"] video').first();
      await video.waitFor({ timeout: 30_000 });
      await playPast(video, 0.5);
      const label = await panel().locator('section[data-scene="first-scene"] li.take').first().innerText();
      if (!/fastvideo-local/.test(label) || !/preview/i.test(label))
        throw new Error(`the clip's label does not say what made it: ${label}`);
      // The picture is of the clip: its take in view, not the card's fields above it.
      await video.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(images, 'first-clip.png') });
    });
  } catch {
    await page.screenshot({ path: path.join(root, 'test-results', 'first-run-failure.png') }).catch(() => {});
  }
  // The adapter runs in a VS Code terminal; stop it so nothing outlives the run (the harness also
  // ends whatever still listens on its port).
  await palette('Scene to Video: Stop FastVideo adapter').catch(() => {});
  await page.waitForTimeout(1000);
  await page.close().catch(() => {});
  return results;
}
