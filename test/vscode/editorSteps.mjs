// The timeline editor's steps of the end-to-end walk (e2e.mjs), in the same window: typing in a
// field changes the document and Undo in the text takes it back; a shot moved in the editor moves
// in the JSON; an image dropped on a shot becomes its keyframe (copied into keyframes/); the editor
// follows the JSON edited by hand, and while the text is not JSON it says so and keeps the text.
// The document's text is read from disk after "File: Save" (the walk runs on this machine).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** How many steps editorSteps adds to the walk. */
export const EDITOR_STEPS = 5;

async function until(what, fn, ms = 20_000) {
  let last;
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    last = await fn().catch((e) => e);
    if (last === true) return;
  }
  throw new Error(`${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export async function editorSteps({ step, page, panel, ws, root, images }) {
  const file = path.join(ws, 'sample.timeline.json');
  const text = () => readFileSync(file, 'utf8');
  const monaco = page.locator('.editor-instance .monaco-editor').first();
  // Saved from the JSON beside the editor (the same document): Ctrl+S in the text editor.
  const save = async () => {
    await monaco.locator('.view-lines').click();
    await page.keyboard.press('Control+s');
    await page.locator('.tab.dirty').first().waitFor({ state: 'detached', timeout: 10_000 });
  };
  // A card's fields are built when it nears the viewport: bring the card into view first.
  const card = (item) => panel().locator(`section.scene[data-item="${item}"]`);
  const fieldValue = async (item, field) => {
    await card(item).scrollIntoViewIfNeeded({ timeout: 5_000 });
    return panel()
      .locator(`[data-field="${field}"][data-item="${item}"]`)
      .evaluate((e) => e.value, undefined, { timeout: 5_000 });
  };

  await step(
    'the timeline editor: a prompt typed in it changes the document, and Undo in the JSON restores it',
    async () => {
      const prompt = panel().locator('vscode-textarea[data-field="prompt"][data-item="0"] textarea');
      const before = await prompt.inputValue();
      await prompt.click();
      await page.keyboard.press('End');
      await page.keyboard.type(', with gulls');
      await page.locator('.tab.dirty').first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(images, 'timeline-editor.png') });
      await panel().locator('vscode-button[data-action="showText"]').click();
      await monaco.waitFor({ timeout: 15_000 });
      await save();
      await until('the prompt reaches the file', async () =>
        text().includes('sweeping over a calm sea, slow push-in, warm sunset light, with gulls'),
      );
      await monaco.locator('.view-lines').click();
      // Typing may have gone out as more than one edit (one per pause): undo until the prompt is back.
      await until('Undo restores the prompt in the editor', async () => {
        if ((await fieldValue(0, 'prompt')) === before) return true;
        await page.keyboard.press('Control+z');
        return false;
      });
      await save();
      if (text().includes('with gulls')) throw new Error('the saved file still has the typed words after Undo');
    },
  );

  await step('reordering two shots in the editor reorders them in the JSON', async () => {
    await panel().locator('section[data-scene="city-night/wide"] [data-action="moveDown"]').click();
    await until('the editor shows the new order', async () => {
      const order = await panel()
        .locator('section.scene')
        .evaluateAll((s) => s.map((x) => x.dataset.scene));
      return order.indexOf('city-night/windows') < order.indexOf('city-night/wide');
    });
    await save();
    const shots = JSON.parse(text())
      .scenes.find((s) => s.id === 'city-night')
      .shots.map((s) => s.id);
    if (shots.join() !== 'windows,wide') throw new Error(`the JSON's shots are ${shots.join()}`);
  });

  await step('an image dropped on a shot becomes its start keyframe, copied into keyframes/', async () => {
    const image = path.join(root, 'media', 'icon.png');
    await panel()
      .locator('section[data-scene="city-night/windows"] .dropzone[data-drop="start"]')
      .evaluate((zone, uri) => {
        const dt = new DataTransfer();
        dt.setData('text/uri-list', uri);
        for (const type of ['dragenter', 'dragover', 'drop'])
          zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }, `file://${image}`);
    await panel()
      .locator('section[data-scene="city-night/windows"] .dropzone[data-drop="start"] img[src*="icon.png"]')
      .waitFor({ timeout: 20_000 });
    await save();
    const shot = JSON.parse(text())
      .scenes.find((s) => s.id === 'city-night')
      .shots.find((s) => s.id === 'windows');
    if (shot.keyframes?.start !== 'keyframes/icon.png') throw new Error(`keyframes: ${JSON.stringify(shot.keyframes)}`);
    if (!existsSync(path.join(ws, 'keyframes', 'icon.png'))) throw new Error('keyframes/icon.png was not copied');
  });

  await step('the editor follows the JSON edited by hand', async () => {
    await monaco.locator('.view-lines').click();
    await page.keyboard.press('Control+g');
    await page.keyboard.type('16');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('night');
    await until(
      'the title field shows the new title',
      async () => (await fieldValue(0, 'title')) === 'Lighthouse at night',
    );
  });

  await step('while the JSON is invalid the editor shows the problem and keeps the text', async () => {
    await monaco.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('}');
    await panel().locator('[data-testid="not-editable"]').waitFor({ timeout: 20_000 });
    if (await panel().locator('[data-field]').count())
      throw new Error('fields are still shown for a text that is not JSON');
    await page.waitForTimeout(500);
    const lines = await monaco.locator('.view-lines').innerText();
    if (!/}\s*}\s*$/.test(lines.trim())) throw new Error(`the text lost what was typed: …${lines.slice(-60)}`);
    await page.keyboard.press('Backspace');
    await card(0).waitFor({ timeout: 20_000 });
    await card(0).scrollIntoViewIfNeeded();
    await panel().locator('[data-field="title"][data-item="0"]').waitFor({ timeout: 20_000 });
    await save();
  });
}

/** How many steps startFromEmptySteps adds to the walk. */
export const FROM_EMPTY_STEPS = 1;

/** The three scenes the new user writes, in the fields only. */
const THREE = [
  { title: 'Dawn harbour', prompt: 'Fishing boats leave a misty harbour at dawn, gulls overhead, slow pan' },
  { title: 'Open sea', prompt: 'A small boat rides long green swells under a bright sky, camera low' },
  { title: 'Homecoming', prompt: 'The boat returns at dusk, harbour lights on the water, gentle dolly in' },
];

/**
 * "A new user can write a three-scene timeline from an empty file without touching the JSON"
 * (issue 20): an empty *.timeline.json reopened with the timeline editor, "Start a timeline here",
 * "Add scene" twice, titles and prompts typed into the fields, saved; the file on disk has the three
 * scenes and `scene-to-video validate` accepts it. Runs after the sample's editor steps and closes
 * every editor first, so the panel frame is this editor's.
 */
export async function startFromEmptySteps({ step, page, panel, palette, ws, root, images }) {
  await step(
    'from an empty file to a three-scene timeline in the editor alone, without touching the JSON',
    async () => {
      const file = path.join(ws, 'from-empty.timeline.json');
      writeFileSync(file, '');
      await palette('View: Close All Editors');
      // Quick Open shows it in the JSON text editor (the default); "Reopen Editor With…" picks ours.
      await page.keyboard.press('Control+p');
      await page.locator('.quick-input-widget input').fill('from-empty.timeline.json');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'from-empty.timeline.json' })
        .first()
        .waitFor({ timeout: 20_000 });
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab.active', { hasText: 'from-empty.timeline.json' }).waitFor();
      await palette('View: Reopen Editor With...');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Scene to Video timeline' })
        .first()
        .click();
      const start = panel().locator('[data-testid="empty"] vscode-button[data-action="startTimeline"]');
      await start.waitFor({ timeout: 30_000 });
      if (await panel().locator('[data-testid="problem"]').count())
        throw new Error('an empty file is shown with problems instead of only the offer to start');
      await start.click();
      const card = (i) => panel().locator(`section.scene[data-item="${i}"]`);
      await card(0).waitFor({ timeout: 20_000 });
      for (const i of [1, 2]) {
        await panel().locator('.actions > vscode-button[data-action="addScene"]').click();
        await card(i).waitFor({ timeout: 20_000 });
      }
      for (const [i, s] of THREE.entries()) {
        await card(i).scrollIntoViewIfNeeded();
        // Fields are built as their card nears the viewport; fill() types the text into the field (input events).
        await panel().locator(`vscode-textfield[data-field="title"][data-item="${i}"] input`).fill(s.title);
        await panel().locator(`vscode-textarea[data-field="prompt"][data-item="${i}"] textarea`).fill(s.prompt);
        await page.keyboard.press('Tab');
      }
      // The fields hold what was typed; the file on disk, read after saving, shows that the edits went into the
      // document (code-server, a web VS Code, auto-saves after a delay by default, so its tab's dirty marker may be gone).
      await until('the three titles and prompts are in the fields', async () => {
        const values = [];
        for (const i of [0, 1, 2]) {
          // A card out of view shows text until it comes near (a renamed scene's card is drawn anew).
          await card(i).scrollIntoViewIfNeeded();
          for (const f of ['title', 'prompt'])
            values.push(
              await panel()
                .locator(`[data-field="${f}"][data-item="${i}"]`)
                .evaluate((e) => e.value, undefined, { timeout: 5_000 }),
            );
        }
        return JSON.stringify(values) === JSON.stringify(THREE.flatMap((s) => [s.title, s.prompt])) || values;
      });
      await card(0).scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(images, 'timeline-editor-from-empty.png') });
      await page.locator('.tabs-container .tab.active', { hasText: 'from-empty.timeline.json' }).click();
      await palette('File: Save');
      await until('the saved file has the three scenes as typed', async () => {
        const got = JSON.parse(readFileSync(file, 'utf8') || '{}').scenes?.map((s) => ({
          title: s.title,
          prompt: s.prompt,
        }));
        return JSON.stringify(got) === JSON.stringify(THREE) || got;
      });
      // The CLI's own check (exit code 0 when valid; it lists the problems otherwise).
      const cli = path.join(root, 'dist', 'cli.js');
      try {
        execFileSync(process.execPath, [cli, 'validate', file], { encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        throw new Error(`scene-to-video validate rejects it:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
      await palette('View: Close All Editors');
    },
  );
}
