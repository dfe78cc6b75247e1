// The cut through VS Code's real UI (issue 19), part of the end-to-end walk (e2e.mjs, same window):
// the sample at its own small size, rendered twice with the preview backend from the scene panel,
// one take chosen in the takes strip (the timeline on disk records it), "Assemble" in the panel
// (progress, the film opens) and the "Assemble timeline" command; both films are decoded frame by
// frame with the adapter environment's ffmpeg (imageio-ffmpeg; no system ffprobe needed) and must be
// as long as their takes together, at the timeline's size and rate.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

/** How many steps runCutSteps adds to the walk. */
export const CUT_STEPS = 3;

/** Size, rate and the real frame count of an MP4, by decoding it (imageio-ffmpeg's read_frames). */
function decode(root, file) {
  const script = [
    'import json, sys, imageio_ffmpeg',
    'r = imageio_ffmpeg.read_frames(sys.argv[1])',
    'm = next(r)',
    'print(json.dumps({"size": list(m["size"]), "fps": m["fps"], "frames": sum(1 for _ in r)}))',
  ].join('\n');
  return JSON.parse(
    execFileSync(path.join(root, 'python/.venv/bin/python'), ['-c', script, file], { encoding: 'utf8' }),
  );
}

/** A film and its takes agree: every frame of every take, nothing more; the timeline's size and fps. */
function checkFilm(root, dir, film, want) {
  const sidecar = JSON.parse(readFileSync(path.join(dir, 'films', film.replace(/\.mp4$/, '.json')), 'utf8'));
  const got = decode(root, path.join(dir, 'films', film));
  const frames = sidecar.takes.reduce((n, t) => n + decode(root, path.resolve(dir, t.path)).frames, 0);
  if (got.frames !== frames || got.size.join('x') !== want.size || Math.abs(got.fps - want.fps) > 0.01)
    throw new Error(`${film}: ${JSON.stringify(got)}; its ${sidecar.takes.length} takes have ${frames} frames`);
  return sidecar;
}

const films = (dir) => {
  try {
    return readdirSync(path.join(dir, 'films')).filter((f) => f.endsWith('.mp4'));
  } catch {
    return [];
  }
};

async function until(what, timeoutMs, check, page) {
  for (const deadline = Date.now() + timeoutMs; ; await page.waitForTimeout(250)) {
    const ok = await check();
    if (ok) return ok;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
  }
}

/**
 * The choice was one WorkspaceEdit: in the timeline's JSON (open beside the editor since the walk
 * opened it), Undo takes the `take` line away and Redo brings it back; each is saved and read from
 * disk (what the text editor shows depends on where it is scrolled). Then the panel is shown again.
 */
async function undoAndRedoInEditor(page, file, chosenRel) {
  const onDisk = () => JSON.parse(readFileSync(file, 'utf8')).scenes[0].take;
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+Z');
  await page.keyboard.press('Control+S');
  await until('Undo (then Save) removes the choice', 10_000, () => onDisk() === undefined, page);
  await page.keyboard.press('Control+Shift+Z');
  await page.keyboard.press('Control+S');
  await until('Redo (then Save) brings it back', 10_000, () => onDisk() === chosenRel, page);
  // Back to the panel ("Open scene panel" takes the active timeline editor's file, no picker).
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill('>Scene to Video: Open scene panel');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Open scene panel' }).first().waitFor();
  await page.keyboard.press('Enter');
}

export async function runCutSteps({ page, step, palette, panel, ws, root, images }) {
  const dir = path.join(ws, 'cut');
  const file = path.join(dir, 'sample.timeline.json');
  // The cut's timeline as the active editor: the commands then take it (the timeline editor's tab,
  // or its JSON, names the timeline; no picker comes).
  const openCutJson = async () => {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill(path.join('cut', 'sample.timeline.json'));
    await page
      .locator('.quick-input-widget .monaco-list-row', { hasText: 'sample.timeline.json' })
      .first()
      .waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter');
    // (Each editor group has an active tab; the JSON may be open in one and the editor in the other.)
    await page
      .locator('.tabs-container .tab.active', { hasText: 'sample.timeline.json' })
      .first()
      .waitFor({ timeout: 20_000 });
  };
  const strips = () => panel().locator('[data-takes-clip]');
  const takeCounts = async () =>
    Promise.all(
      (await strips().all()).map((s) =>
        s
          .locator('li.take')
          .count()
          .catch(() => 0),
      ),
    );
  let chosenRel;
  await step(
    'the takes strip: the sample rendered twice (preview backend), a take chosen in the panel (Undo/Redo in the editor)',
    async () => {
      cpSync(path.join(root, 'media/sample'), dir, {
        recursive: true,
        filter: (s) => !/renders|\.scene-to-video/.test(s),
      });
      // Only the cut's editor open: the panel frame below is its webview, not the sample's.
      await palette('View: Close All Editors');
      await openCutJson();
      await palette('Scene to Video: Open scene panel');
      await panel().locator('[data-takes-clip="lighthouse"]', { hasText: 'No takes yet' }).waitFor({ timeout: 30_000 });
      for (const round of [1, 2]) {
        await panel().locator('header vscode-button[data-action="renderAll"]').click();
        await until(
          `every clip shows ${round} take(s)`,
          180_000,
          async () => {
            const n = await takeCounts();
            return n.length === 6 && n.every((k) => k >= round);
          },
          page,
        );
      }
      const strip = panel().locator('[data-takes-clip="lighthouse"]');
      const older = strip.locator('li.take').nth(1);
      chosenRel = await older.getAttribute('data-take');
      await older.locator('vscode-button').click();
      await strip.locator(`li.take.chosen[data-take="${chosenRel}"]`).waitFor({ timeout: 20_000 });
      await until(
        'the timeline on disk records the chosen take',
        20_000,
        () => JSON.parse(readFileSync(file, 'utf8')).scenes[0].take === chosenRel,
        page,
      );
      await page.screenshot({ path: path.join(images, 'takes-panel.png') });
      await undoAndRedoInEditor(page, file, chosenRel);
      await strip.locator(`li.take.chosen[data-take="${chosenRel}"]`).waitFor({ timeout: 30_000 });
    },
  );
  let first;
  await step(
    '"Assemble" in the panel says when the film is done and opens it: every frame of the chosen takes',
    async () => {
      await panel().locator('[data-assembly] vscode-button[data-takes-action="assemble"]').click();
      await panel().locator('[data-assembly] [role="status"]', { hasText: 'Assembled' }).waitFor({ timeout: 120_000 });
      await page.locator('.tabs-container .tab', { hasText: '.mp4' }).first().waitFor({ timeout: 20_000 });
      [first] = films(dir);
      if (!first) throw new Error('no film in cut/films');
      const sidecar = checkFilm(root, dir, first, { size: '640x352', fps: 16 });
      if (sidecar.takes[0].path !== chosenRel)
        throw new Error(`the film starts with ${sidecar.takes[0].path}, not the chosen ${chosenRel}`);
    },
  );
  await step('"Assemble timeline" from the command palette writes a second film of the same cut', async () => {
    await openCutJson();
    await palette('Scene to Video: Assemble timeline');
    // The film on disk decides (a notification may hide before it is seen); what the window says helps if none comes.
    const second = await until('a second film', 120_000, () => films(dir).find((f) => f !== first), page).catch(
      async (e) => {
        const said = await page
          .locator('.notifications-toasts')
          .innerText({ timeout: 2_000 })
          .catch(() => '');
        throw new Error(`${e.message}; films: ${films(dir).join(', ')}; notifications: ${said || '(none)'}`);
      },
    );
    const takesOf = (sidecar) => sidecar.takes.map((t) => t.path).join(', ');
    const a = takesOf(checkFilm(root, dir, second, { size: '640x352', fps: 16 }));
    const b = takesOf(JSON.parse(readFileSync(path.join(dir, 'films', first.replace(/\.mp4$/, '.json')), 'utf8')));
    if (a !== b) throw new Error(`the two films have different takes: ${a} / ${b}`);
    await palette('Notifications: Clear All Notifications');
  });
}
