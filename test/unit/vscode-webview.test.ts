/**
 * The scene panel's browser bundle (dist/webview.js, as shipped) in a real Chromium, behind the
 * same Content-Security-Policy the extension sets, with acquireVsCodeApi faked: what it draws,
 * what it posts, that it ignores malformed messages, keeps focus and playing videos across
 * redraws, and that nothing in it trips the CSP. Needs `npm run build` and Debian's chromium
 * (STV_CHROMIUM or /usr/bin/chromium); without a browser the suite says so and is skipped.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ExtensionToWebview, PanelState } from '../../src/protocol/messages';
import { makeNonce, panelHtml } from '../../src/vscode/panelHtml';
import { lighthouseScene } from '../helpers/panelScene';
import { repoRoot } from '../helpers/paths';

const ORIGIN = 'https://panel.test';
const CHROMIUM = process.env.STV_CHROMIUM || '/usr/bin/chromium';
const dist = path.join(repoRoot, 'dist');
const MP4 = readFileSync(path.join(repoRoot, 'test/fixtures/video/tiny.mp4'), { flag: 'r' });

const lighthouse = lighthouseScene(ORIGIN, '/ws');
const STATE: PanelState = {
  timelineFile: '/ws/sample.timeline.json',
  title: 'Sample',
  problems: [],
  provider: { id: 'fastvideo-local', state: 'ok', summary: 'FastWan loaded', followsKeyframe: false },
  scenes: [lighthouse, { ...lighthouse, id: 'forest', title: 'Forest stream', notices: [] }],
};

/** A take of the lighthouse as TakesView sends it (its sidecar's facts). */
const take = (name: string, seed: number, warnings?: { code: 'SIZE_CHANGED'; message: string }[]) => ({
  videoPath: `/ws/renders/lighthouse/${name}.mp4`,
  videoUri: `${ORIGIN}/ws/renders/lighthouse/${name}.mp4`,
  rel: `renders/lighthouse/${name}.mp4`,
  createdAt: '2026-11-24T03:00:00Z',
  seed,
  providerId: 'fastvideo-local',
  model: 'FastWan2.2-TI2V-5B',
  renderMs: 42_000,
  width: 832,
  height: 480,
  numFrames: 121,
  fps: 24,
  ...(warnings ? { warnings } : {}),
});
const TAKES: ExtensionToWebview | unknown = {
  type: 'takes',
  takes: {
    assembly: { state: 'idle' },
    clips: [
      {
        clipId: 'lighthouse',
        title: 'Lighthouse at dusk',
        takes: [take('b', 7), take('a', 1234, [{ code: 'SIZE_CHANGED', message: 'Rendered 832x480.' }])],
        chosen: 'renders/lighthouse/a.mp4',
        chosenExplicitly: true,
        canContinue: false,
        continuity: false,
      },
      {
        clipId: 'forest',
        title: 'Forest stream',
        takes: [],
        chosenExplicitly: false,
        canContinue: true,
        continuity: false,
      },
    ],
  },
};

/** The page's globals as these tests use them (the tests compile without the DOM library). */
interface PageGlobals {
  __posted: unknown[];
  __violations: string[];
  __saved: unknown;
  acquireVsCodeApi(): unknown;
  postMessage(m: unknown, target: string): void;
  document: {
    addEventListener(type: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void;
    activeElement: { dataset?: Record<string, string> } | null;
  };
  getComputedStyle(e: unknown): { display: string };
}

/** What the keyboard and accessibility test reads of the page (the tests compile without the DOM library). */
interface DomQuery {
  document: {
    querySelector(s: string): unknown;
    querySelectorAll(
      s: string,
    ): Iterable<{ tagName: string; setAttribute(k: string, v: string): void; getAttribute(k: string): string | null }>;
    activeElement: { closest(s: string): { getAttribute(k: string): string | null } | null } | null;
  };
}

/** The DOM constructors the drag-and-drop tests use (the tests compile without the DOM library). */
interface DomGlobals {
  DataTransfer: new () => { setData(t: string, v: string): void; items: { add(f: unknown): void } };
  DragEvent: new (type: string, init: Record<string, unknown>) => unknown;
  File: new (bits: unknown[], name: string, opts: Record<string, string>) => unknown;
  document: { querySelector(s: string): { dispatchEvent(e: unknown): void } };
}

interface Harness {
  posted(): Promise<unknown[]>;
  send(msg: ExtensionToWebview | unknown): Promise<void>;
  violations(): Promise<string[]>;
}

async function openPanel(page: Page, saved?: unknown): Promise<Harness> {
  const nonce = makeNonce();
  const html = panelHtml({
    cspSource: ORIGIN,
    nonce,
    scriptUri: `${ORIGIN}/dist/webview.js`,
    styleUri: `${ORIGIN}/dist/webview.css`,
    codiconsUri: `${ORIGIN}/dist/codicons/codicon.css`,
    title: 'Scenes',
  });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/') return route.fulfill({ contentType: 'text/html', body: html });
    if (url.pathname.startsWith('/dist/')) {
      const file = path.join(dist, url.pathname.slice('/dist/'.length));
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'font/ttf';
      return existsSync(file)
        ? route.fulfill({ contentType: type, body: readFileSync(file) })
        : route.fulfill({ status: 404 });
    }
    if (url.pathname.endsWith('.mp4')) return route.fulfill({ contentType: 'video/mp4', body: MP4 });
    if (url.pathname.endsWith('.png'))
      return route.fulfill({ contentType: 'image/png', body: readFileSync(path.join(repoRoot, 'media/icon.png')) });
    return route.fulfill({ status: 404 });
  });
  // Injected by the browser, not the page, so the CSP does not apply (as VS Code's own preload).
  await page.addInitScript((savedState) => {
    const w = globalThis as unknown as PageGlobals;
    w.__posted = [];
    w.__violations = [];
    w.__saved = savedState;
    w.document.addEventListener('securitypolicyviolation', (e) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => w.__posted.push(m),
      getState: () => w.__saved,
      setState: (s: unknown) => (w.__saved = s),
    });
  }, saved ?? null);
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__posted.length > 0);
  return {
    posted: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__posted),
    send: (msg) => page.evaluate((m) => (globalThis as unknown as PageGlobals).postMessage(m, '*'), msg as never),
    violations: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__violations),
  };
}

describe('scene panel in a real browser (dist/webview.js under the strict CSP)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; scripts/install-test-tools.sh installs it)`);
      this.skip();
    }
    assert.ok(existsSync(path.join(dist, 'webview.js')), 'run `npm run build` first');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    page = await (browser as Browser).newPage();
  });
  afterEach(async () => page?.close());

  it('says it is ready, draws the state it is sent, and nothing violates the CSP', async () => {
    const h = await openPanel(page);
    assert.deepEqual(await h.posted(), [{ type: 'ready' }]);
    await h.send({ type: 'state', state: STATE });
    await h.send(TAKES);
    await page.locator('section[data-scene="lighthouse"] img.thumb').waitFor();
    assert.equal(await page.locator('section.scene').count(), 2);
    assert.match(
      (await page.locator('[data-testid="keyframe-notice"]').textContent()) ?? '',
      /1 scene\(s\) have keyframes/,
    );
    assert.equal(
      await page.locator('section[data-scene="lighthouse"] .warn[data-code="SIZE_CHANGED"] button.link').count(),
      1,
      'after a render that changed the size, the faithful model is offered',
    );
    // The web components rendered (their shadow DOM needs the CSP to allow their styles).
    assert.equal(
      await page
        .locator('section[data-scene="lighthouse"] vscode-button')
        .first()
        .evaluate(
          (b) => !!b.shadowRoot && (globalThis as unknown as PageGlobals).getComputedStyle(b).display !== 'none',
        ),
      true,
    );
    assert.deepEqual(await h.violations(), []);
  });

  it('posts intents from mouse and keyboard, and the faithful-model offer', async () => {
    const h = await openPanel(page);
    await h.send({ type: 'state', state: STATE });
    await h.send(TAKES);
    await page.locator('section[data-scene="forest"] vscode-button[data-action="render"]').click();
    await page.locator('section[data-scene="lighthouse"] vscode-button[data-action="render"]').focus();
    await page.keyboard.press('Enter');
    // A render's actions are on its take (one list per card: the takes strip).
    const takeA = page.locator('section[data-scene="lighthouse"] li.take[data-take="renders/lighthouse/a.mp4"]');
    await takeA.locator('button.link', { hasText: 'Re-render with this seed' }).click();
    await page.locator('[data-testid="keyframe-notice"] button.link').click();
    await takeA.locator('button.link', { hasText: 'Open' }).click();
    await takeA.locator('button.link', { hasText: 'Reveal' }).focus();
    await page.keyboard.press('Enter');
    await takeA.locator('.warn[data-code="SIZE_CHANGED"] button.link').click();
    const posted = (await h.posted()).slice(1);
    assert.deepEqual(posted, [
      { type: 'render', sceneId: 'forest' },
      { type: 'render', sceneId: 'lighthouse' },
      { type: 'render', sceneId: 'lighthouse', seed: 1234 },
      { type: 'useKeyframeFaithfulModel' },
      { type: 'open', videoPath: '/ws/renders/lighthouse/a.mp4' },
      { type: 'reveal', videoPath: '/ws/renders/lighthouse/a.mp4' },
      { type: 'useKeyframeFaithfulModel' },
    ]);
    // Each take's links name the take they act on (three "Open" links read alike otherwise).
    assert.equal(
      await takeA.locator('button.link', { hasText: 'Re-render with this seed' }).getAttribute('aria-label'),
      'Render Lighthouse at dusk again with seed 1234',
    );
    assert.match(
      (await takeA.locator('button.link', { hasText: 'Open' }).getAttribute('aria-label')) ?? '',
      /^Open Take 2 of Lighthouse at dusk, seed 1234$/,
    );
    // One list of renders per card: no separate renders list beside the takes.
    assert.equal(await page.locator('ul.renders, li.render').count(), 0);
    assert.equal(await page.locator('section[data-scene="lighthouse"] video').count(), 2, 'each render plays once');
  });

  it('shows progress with stage, steps and time left; keeps focus in the scene and the video element across redraws', async () => {
    const h = await openPanel(page);
    await h.send({ type: 'state', state: STATE });
    await h.send(TAKES);
    await page
      .locator('section[data-scene="lighthouse"] video')
      .first()
      .evaluate((v) => ((v as unknown as { marker: string }).marker = 'same'));
    await page.locator('section[data-scene="lighthouse"] vscode-button[data-action="render"]').focus();
    const jobId = '3b241101-e2bb-4255-8caf-4136c566a962';
    await h.send({
      type: 'job',
      sceneId: 'lighthouse',
      job: { jobId, state: 'running', stage: 'denoising', fraction: 0.4, step: 2, totalSteps: 3, etaMs: 9000 },
    });
    const label = page.locator('[data-testid="progress-lighthouse"] .label');
    await label.waitFor();
    assert.equal(await label.textContent(), 'Denoising (step 2 of 3) · 40% · about 9 s left');
    const bar = page.locator('[data-testid="progress-lighthouse"] vscode-progress-bar');
    assert.equal(await bar.getAttribute('value'), '40');
    assert.ok(((await bar.boundingBox())?.height ?? 0) >= 4, 'the panel stylesheet makes the bar visible');
    // Render became Cancel: the focus moved to it, so Enter cancels this render.
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.dataset?.action),
      'cancel',
    );
    await page.keyboard.press('Enter');
    assert.deepEqual((await h.posted()).at(-1), { type: 'cancel', jobId });
    await h.send({ type: 'state', state: { ...STATE, provider: { ...STATE.provider, summary: 'checked again' } } });
    await page.locator('[data-testid="provider"]', { hasText: 'checked again' }).waitFor();
    assert.equal(
      await page
        .locator('section[data-scene="lighthouse"] video')
        .first()
        .evaluate((v) => (v as unknown as { marker?: string }).marker),
      'same',
      'the <video> survived the redraw',
    );
  });

  it('calls the default provider that does not answer "not set up", not down, until the user picks it', async () => {
    const h = await openPanel(page);
    const down = { id: 'comfyui-local', state: 'down', summary: 'Nothing answers at http://127.0.0.1:9.' };
    await h.send({ type: 'state', state: { ...STATE, provider: { ...down, chosen: false } } });
    await page.locator('[data-testid="provider"]', { hasText: 'comfyui-local: not set up' }).waitFor();
    assert.equal(await page.locator('[data-testid="provider"].down').count(), 0, 'not in the error colour');
    assert.equal(await page.locator('.notice.error[role="alert"]').count(), 0, 'no alert');
    const note = page.locator('[data-testid="provider-not-set-up"][role="note"]');
    assert.match(await note.innerText(), /the default provider, is not set up: Nothing answers at/);
    // Picked (or set in a workspace), the same health is a failure again.
    await h.send({ type: 'state', state: { ...STATE, provider: down } });
    await page.locator('[data-testid="provider"].down', { hasText: 'comfyui-local: down' }).waitFor();
    assert.match(await page.locator('.notice.error[role="alert"]').innerText(), /Nothing answers at/);
  });

  it('shows a failed render inline with the actions that fix it', async () => {
    const h = await openPanel(page);
    await h.send({ type: 'state', state: STATE });
    await h.send({
      type: 'job',
      sceneId: 'forest',
      job: {
        jobId: 'j',
        state: 'failed',
        error: {
          code: 'UNREACHABLE',
          message: 'Nothing answers at http://127.0.0.1:8055.',
          hint: 'Start the adapter.',
          actions: ['Start adapter', 'Switch provider'],
        },
      },
    });
    const box = page.locator('[data-testid="error-forest"]');
    await box.waitFor();
    assert.match((await box.textContent()) ?? '', /UNREACHABLE: Nothing answers.*Start the adapter\./);
    await box.locator('vscode-button', { hasText: 'Switch provider' }).click();
    assert.deepEqual((await h.posted()).at(-1), {
      type: 'errorAction',
      action: 'Switch provider',
      code: 'UNREACHABLE',
    });
  });

  it('ignores malformed messages and an unusable saved state; restores a valid one after a reload', async () => {
    let h = await openPanel(page, { scenes: 'not a state' });
    assert.match((await page.locator('#app').textContent()) ?? '', /Open a \*\.timeline\.json/);
    await h.send({ type: 'state', state: { ...STATE, scenes: [{ ...lighthouse, id: '../../etc' }] } });
    await h.send({ type: 'job', sceneId: 'lighthouse', job: { jobId: 'j', state: 'running', fraction: 7 } });
    await h.send('<img src=x onerror=alert(1)>');
    assert.equal(await page.locator('section.scene').count(), 0);
    await page.close();
    page = await (browser as Browser).newPage();
    h = await openPanel(page, STATE);
    assert.equal(
      await page.locator('section.scene').count(),
      2,
      'drawn from the saved state before the extension answers',
    );
    assert.deepEqual(await h.violations(), []);
  });

  describe('as the timeline editor (an outline in the state)', () => {
    const OUTLINE: NonNullable<PanelState['outline']> = {
      version: 2,
      scenes: [
        { id: 'lighthouse', fields: { title: 'Lighthouse at dusk', prompt: 'a lighthouse at dusk' }, shots: [] },
        {
          id: 'harbour',
          fields: { title: 'Harbour', prompt: 'a harbour' },
          shots: [
            { id: 'wide', fields: { prompt: 'wide shot' } },
            { id: 'boat', fields: { prompt: 'a boat' } },
          ],
        },
      ],
    };
    const EDITOR: PanelState = { ...STATE, scenes: [lighthouse], outline: OUTLINE, editable: true };
    const promptOf = (item: string) => page.locator(`vscode-textarea[data-field="prompt"][data-item="${item}"]`);

    it('draws a card per clip with labelled fields holding the values as written', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      await page.locator('section[data-scene="harbour/boat"]').waitFor();
      assert.equal(await page.locator('section.scene').count(), 3, 'one card per clip: a scene and two shots');
      // Fields are built as their card nears the viewport (a 1,000-shot timeline paints text first).
      await page.locator('section[data-scene="harbour/boat"]').scrollIntoViewIfNeeded();
      assert.equal(await promptOf('1.1').evaluate((e) => (e as unknown as { value: string }).value), 'a boat');
      assert.equal(await promptOf('1.1').getAttribute('label'), 'Prompt of Harbour — boat');
      assert.equal(await promptOf('1.1').getAttribute('placeholder'), 'a harbour', 'what the shot inherits');
      assert.equal(await page.locator('section[data-scene="harbour/boat"] .dropzone[data-drop="end"]').count(), 1);
      assert.equal(
        await page.locator('section[data-scene="harbour/boat"] .takes[data-takes-clip="harbour/boat"]').count(),
        1,
      );
      assert.deepEqual(await h.violations(), []);
    });

    it('posts a field edit after a pause in typing, and keeps the field and the list when the text comes back', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      const field = promptOf('1.0').locator('textarea');
      await page
        .locator('section[data-scene="lighthouse"]')
        .evaluate((e) => ((e as unknown as { marker: string }).marker = 'same'));
      await field.click();
      await page.keyboard.press('End');
      await page.keyboard.type(', rain');
      await page.waitForFunction(() =>
        (globalThis as unknown as PageGlobals).__posted.some((m) => (m as { type: string }).type === 'edit'),
      );
      const edits = (await h.posted()).filter((m) => (m as { type: string }).type === 'edit');
      assert.deepEqual(edits.at(-1), {
        type: 'edit',
        item: { scene: 1, sceneId: 'harbour', shot: 0, shotId: 'wide' },
        field: 'prompt',
        value: 'wide shot, rain',
      });
      assert.ok(edits.length <= 2, `typing is sent in bursts, not per key (${edits.length} edits)`);
      // The text (changed, and by someone else too) comes back: the list is not redrawn, the other fields follow.
      const changed: typeof OUTLINE = {
        version: 2,
        scenes: [
          OUTLINE.scenes[0] as (typeof OUTLINE.scenes)[number],
          {
            id: 'harbour',
            fields: { title: 'Harbour', prompt: 'a harbour' },
            shots: [
              { id: 'wide', fields: { prompt: 'wide shot, rain' } },
              { id: 'boat', fields: { prompt: 'a boat at night' } },
            ],
          },
        ],
      };
      await page.keyboard.type('!');
      await h.send({ type: 'state', state: { ...EDITOR, outline: changed } });
      await page.waitForFunction(() => 1);
      assert.equal(await promptOf('1.1').evaluate((e) => (e as unknown as { value: string }).value), 'a boat at night');
      assert.equal(await field.inputValue(), 'wide shot, rain!', 'the field being typed in is left alone');
      assert.equal(
        await page
          .locator('section[data-scene="lighthouse"]')
          .evaluate((e) => (e as unknown as { marker?: string }).marker),
        'same',
        'the other cards were not redrawn',
      );
    });

    it('sends a field the moment the focus leaves it, and a state arriving before keeps what was typed', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      await page.locator('vscode-textfield[data-field="title"][data-item="0"] input').fill('Lighthouse at night');
      // The field's "change" (it does not bubble) is what sends it, not the typing pause: counted in the same task.
      const sentOnLeaving = await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals & DomQuery;
        (g.document.querySelector('vscode-textarea[data-field="prompt"][data-item="0"]') as { focus(): void }).focus();
        return g.__posted.filter((m) => (m as { type: string }).type === 'edit');
      });
      assert.deepEqual(sentOnLeaving, [
        { type: 'edit', item: { scene: 0, sceneId: 'lighthouse' }, field: 'title', value: 'Lighthouse at night' },
      ]);
      // A field typed in and left before its edit went out (here its "change" is held back, so only the
      // typing pause sends it): a state that still has the old text does not put the old text back.
      await page.evaluate(() =>
        (
          globalThis as unknown as {
            addEventListener(t: string, f: (e: { stopPropagation(): void }) => void, c: boolean): void;
          }
        ).addEventListener('change', (e) => e.stopPropagation(), true),
      );
      const prompt = promptOf('0').locator('textarea');
      await prompt.fill('a lighthouse in fog');
      await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals & DomQuery;
        (g.document.querySelector('vscode-textfield[data-field="title"][data-item="0"]') as { focus(): void }).focus();
        g.postMessage({ type: 'state', state: g.__saved }, '*');
      });
      await page.waitForTimeout(50);
      assert.equal(await prompt.inputValue(), 'a lighthouse in fog', 'the unsent text stays');
      await page.waitForFunction(() =>
        (globalThis as unknown as PageGlobals).__posted.some(
          (m) => (m as { value?: string }).value === 'a lighthouse in fog',
        ),
      );
      assert.equal(await prompt.inputValue(), 'a lighthouse in fog');
    });

    it('sends the provider picked in a clip', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      const select = page.locator('vscode-single-select[data-field="provider"][data-item="0"]');
      await select.click();
      await select.locator('li[role="option"]', { hasText: 'comfyui-local' }).click();
      await page.waitForFunction(() =>
        (globalThis as unknown as PageGlobals).__posted.some((m) => (m as { field?: string }).field === 'provider'),
      );
      assert.deepEqual((await h.posted()).at(-1), {
        type: 'edit',
        item: { scene: 0, sceneId: 'lighthouse' },
        field: 'provider',
        value: 'comfyui-local',
      });
    });

    it('moves, duplicates, deletes and adds from the toolbars, by mouse, keyboard and drag and drop', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      const boat = { scene: 1, sceneId: 'harbour', shot: 1, shotId: 'boat' };
      await page.locator('section[data-scene="harbour/boat"] [data-action="moveUp"]').click();
      await page.locator('section[data-scene="harbour/boat"] [data-action="duplicate"]').click();
      await page.locator('section[data-scene="harbour/boat"] .handle').focus();
      await page.keyboard.press('Alt+ArrowUp');
      await page.locator('section[data-scene="lighthouse"] [data-action="delete"]').click();
      await page.locator('vscode-button[data-action="addScene"]').click();
      // Drag the boat's handle onto the wide shot (the events a real drag fires, with one DataTransfer).
      await page.evaluate(() => {
        const g = globalThis as unknown as DomGlobals;
        const dt = new g.DataTransfer();
        const fire = (sel: string, type: string) =>
          g.document
            .querySelector(sel)
            .dispatchEvent(new g.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
        fire('section[data-scene="harbour/boat"] .handle', 'dragstart');
        fire('section[data-scene="harbour/wide"] .card-body', 'dragover');
        fire('section[data-scene="harbour/wide"] .card-body', 'drop');
        fire('section[data-scene="harbour/boat"] .handle', 'dragend');
      });
      const posted = (await h.posted()).slice(1);
      assert.deepEqual(posted, [
        { type: 'move', item: boat, to: 0 },
        { type: 'duplicate', item: boat },
        { type: 'move', item: boat, to: 0 },
        { type: 'delete', item: { scene: 0, sceneId: 'lighthouse' } },
        { type: 'addScene' },
        { type: 'move', item: boat, to: 0 },
      ]);
    });

    it('turns an image dropped on a keyframe box into a keyframe message (a file URI, or the bytes of a desktop file)', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      const drop = (selector: string, withUri: boolean) =>
        page.locator(selector).evaluate((zone, uri) => {
          const g = globalThis as unknown as DomGlobals;
          const dt = new g.DataTransfer();
          if (uri) dt.setData('text/uri-list', 'file:///ws/art/sky.png');
          else dt.items.add(new g.File([new Uint8Array([137, 80, 78, 71])], 'sky.png', { type: 'image/png' }));
          for (const type of ['dragenter', 'dragover', 'drop'])
            (zone as unknown as { dispatchEvent(e: unknown): void }).dispatchEvent(
              new g.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }),
            );
        }, withUri);
      await drop('section[data-scene="harbour/boat"] .dropzone[data-drop="end"]', true);
      await drop('section[data-scene="lighthouse"] .dropzone[data-drop="start"]', false);
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__posted.length >= 3);
      const posted = (await h.posted()).slice(1);
      assert.deepEqual(posted, [
        {
          type: 'dropKeyframe',
          item: { scene: 1, sceneId: 'harbour', shot: 1, shotId: 'boat' },
          which: 'end',
          uri: 'file:///ws/art/sky.png',
        },
        {
          type: 'dropKeyframeBytes',
          item: { scene: 0, sceneId: 'lighthouse' },
          which: 'start',
          name: 'sky.png',
          base64: 'iVBORw==',
        },
      ]);
    });

    it('offers the keyboard a way to a keyframe: Choose… asks for an image file, Generate… for variants from the prompt', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      const choose = page.locator(
        'section[data-scene="lighthouse"] .dropzone[data-drop="end"] [data-action="chooseKeyframe"]',
      );
      assert.match((await choose.getAttribute('aria-label')) ?? '', /end keyframe of Lighthouse at dusk/);
      await choose.focus();
      await page.keyboard.press('Enter');
      assert.deepEqual((await h.posted()).at(-1), {
        type: 'chooseKeyframe',
        item: { scene: 0, sceneId: 'lighthouse' },
        which: 'end',
      });
      // And to one drawn from the prompt (issue 21): "Generate…" beside it, for the start keyframe too.
      const generate = page.locator(
        'section[data-scene="harbour/boat"] .dropzone[data-drop="start"] [data-action="generateKeyframe"]',
      );
      await generate.scrollIntoViewIfNeeded();
      assert.match((await generate.getAttribute('aria-label')) ?? '', /start keyframe of .*from its prompt/);
      await generate.focus();
      await page.keyboard.press('Enter');
      assert.deepEqual((await h.posted()).at(-1), {
        type: 'generateKeyframe',
        item: { scene: 1, sceneId: 'harbour', shot: 1, shotId: 'boat' },
        which: 'start',
      });
    });

    it('reaches every control with Tab, and each has an accessible name that says what it acts on', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      await h.send(TAKES);
      await page.locator('section[data-scene="lighthouse"] li.take').nth(1).waitFor();
      // Build every card's fields (they are built as their card nears the viewport).
      for (const card of await page.locator('section.scene').all()) await card.scrollIntoViewIfNeeded();
      await page.waitForFunction(() => !(globalThis as unknown as DomQuery).document.querySelector('.fields.pending'));
      // Every control on the page, by a mark of its own.
      const controls = await page.evaluate(() => {
        const d = (globalThis as unknown as DomQuery).document;
        const all = [
          ...d.querySelectorAll(
            '#app button, #app vscode-button:not([disabled]), #app vscode-textfield, #app vscode-textarea, #app vscode-single-select, #app input, #app video[controls]',
          ),
        ];
        all.forEach((e, i) => e.setAttribute('data-a11y', String(i)));
        return all.map((e) => `${e.tagName.toLowerCase()} ${e.getAttribute('data-key') ?? ''}`);
      });
      assert.ok(controls.length > 60, `a full page of controls (${controls.length})`);
      const reached = new Set<string>();
      await page.locator('header h1').click();
      for (let i = 0; i < controls.length * 2 && reached.size < controls.length; i++) {
        await page.keyboard.press('Tab');
        const at = await page.evaluate(
          () =>
            (globalThis as unknown as DomQuery).document.activeElement
              ?.closest('[data-a11y]')
              ?.getAttribute('data-a11y') ?? '',
        );
        if (at) reached.add(at);
      }
      const missed = controls.filter((_, i) => !reached.has(String(i)));
      assert.deepEqual(missed, [], 'every control is reached with Tab');
      // Names as a screen reader gets them: Chromium's accessibility tree (shadow DOM included).
      const cdp = await page.context().newCDPSession(page);
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
        nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
      };
      const interactive = nodes.filter(
        (n) => !n.ignored && ['button', 'textbox', 'combobox', 'checkbox', 'link'].includes(n.role?.value ?? ''),
      );
      assert.ok(interactive.length > 60);
      const unnamed = interactive.filter((n) => !n.name?.value.trim()).map((n) => n.role?.value);
      assert.deepEqual(unnamed, [], 'every control has an accessible name');
      const names = interactive.map((n) => n.name?.value ?? '');
      for (const want of [
        'Prompt of Harbour — boat',
        'Title of Lighthouse at dusk',
        'Provider of Harbour — wide',
        'Delete shot Harbour — boat',
        'Render Lighthouse at dusk again with seed 1234',
        'Choose an image for the end keyframe of Lighthouse at dusk',
      ])
        assert.ok(names.includes(want), `"${want}" among ${names.length} names`);
      // Ten fields per clip: their names tell the clips apart.
      const prompts = names.filter((n) => n.startsWith('Prompt'));
      assert.equal(new Set(prompts).size, prompts.length, `prompt fields named alike: ${prompts.join(' | ')}`);
    });

    it('names a renamed scene anew in its labels once the focus leaves it', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      const title = page.locator('vscode-textfield[data-field="title"][data-item="1"] input');
      await title.fill('Port');
      const renamed = structuredClone(OUTLINE);
      (renamed.scenes[1] as (typeof OUTLINE.scenes)[number]).fields.title = 'Port';
      await h.send({ type: 'state', state: { ...EDITOR, outline: renamed } });
      // Still in the field: nothing under it is redrawn.
      assert.equal(await title.inputValue(), 'Port');
      await page.locator('section[data-scene="lighthouse"] [data-action="duplicate"]').focus();
      await page.locator('section[data-scene="harbour/boat"][aria-label="Port — boat"]').waitFor();
      assert.equal(
        await page.locator('section[data-scene="harbour/boat"] [data-action="delete"]').getAttribute('aria-label'),
        'Delete shot Port — boat',
      );
    });

    it('while the text is not JSON, says so and offers the text instead of fields', async () => {
      const h = await openPanel(page);
      await h.send({ type: 'state', state: EDITOR });
      await h.send({
        type: 'state',
        state: { ...STATE, scenes: [], problems: ['Line 3: expected a comma'], editable: false },
      });
      await page.locator('[data-testid="not-editable"]').waitFor();
      assert.equal(await page.locator('[data-field]').count(), 0);
      assert.match((await page.locator('[data-testid="problem"]').textContent()) ?? '', /Line 3/);
      await page.locator('[data-testid="not-editable"] button.link').click();
      assert.deepEqual((await h.posted()).at(-1), { type: 'showText' });
    });
  });
});

describe('takes strip and Assemble in a real browser (webview/takes.ts under the strict CSP)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let page: Page;
  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    page = await (browser as Browser).newPage();
  });
  afterEach(async () => page?.close());

  it('shows each take with seed, model, provider and time, marks the chosen one, and posts choose and continuity from mouse and keyboard', async () => {
    const h = await openPanel(page);
    // The takes may come before the scenes: the strips fill when the scenes are drawn.
    await h.send(TAKES);
    await h.send({ type: 'state', state: STATE });
    const strip = page.locator('section[data-scene="lighthouse"] [data-takes-clip="lighthouse"]');
    await strip.locator('li.take').nth(1).waitFor();
    assert.equal(await strip.locator('li.take').count(), 2);
    const chosen = strip.locator('li.take.chosen');
    assert.equal(await chosen.getAttribute('data-take'), 'renders/lighthouse/a.mp4');
    const facts = (await chosen.textContent()) ?? '';
    for (const f of ['seed 1234', 'fastvideo-local · FastWan2.2-TI2V-5B', 'rendered in 42 s'])
      assert.ok(facts.includes(f), `"${f}" in ${facts}`);
    assert.equal(await strip.locator('video[preload="metadata"][controls]').count(), 2, 'each take plays in place');
    assert.equal(await chosen.locator('vscode-button').getAttribute('aria-pressed'), 'true');
    // The first clip has nothing to continue from; the second offers the link.
    assert.equal(await strip.locator('input[type="checkbox"]').count(), 0);
    const link = page.locator('[data-takes-clip="forest"] input[type="checkbox"]');
    assert.equal(
      await page.locator('[data-takes-clip="forest"] label').textContent(),
      'Start on the last frame of the previous clip',
    );
    await strip.locator('li.take:not(.chosen) vscode-button').click();
    await chosen.locator('vscode-button').click(); // already chosen: nothing to post
    await link.focus();
    await page.keyboard.press('Space');
    assert.deepEqual((await h.posted()).slice(1), [
      { type: 'chooseTake', clipId: 'lighthouse', videoPath: '/ws/renders/lighthouse/b.mp4' },
      { type: 'setContinuity', clipId: 'forest', on: true },
    ]);
    assert.deepEqual(await h.violations(), []);
  });

  it('assembles with progress and cancel, keeps a playing take across redraws, and offers the film when done', async () => {
    const h = await openPanel(page);
    await h.send({ type: 'state', state: STATE });
    await h.send(TAKES);
    const video = page.locator('[data-takes-clip="lighthouse"] video').first();
    await video.evaluate((v) => ((v as unknown as { marker: string }).marker = 'same'));
    const assembleButton = page.locator('header [data-assembly] vscode-button[data-takes-action="assemble"]');
    await assembleButton.focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await h.posted()).at(-1), { type: 'assemble' });
    await h.send({ type: 'assembly', assembly: { state: 'running', fraction: 0.42 } });
    await page.locator('[data-assembly] [role="status"]', { hasText: 'Assembling… 42%' }).waitFor();
    assert.equal(await page.locator('[data-assembly] vscode-progress-bar').getAttribute('value'), '42');
    await page.locator('[data-assembly] vscode-button[data-takes-action="cancelAssemble"]').click();
    assert.deepEqual((await h.posted()).at(-1), { type: 'cancelAssemble' });
    await h.send({ type: 'takes', takes: { ...(TAKES as { takes: object }).takes, assembly: { state: 'running' } } });
    assert.equal(await video.evaluate((v) => (v as unknown as { marker?: string }).marker), 'same');
    await h.send({
      type: 'assembly',
      assembly: {
        state: 'done',
        fraction: 1,
        film: 'films/sample.mp4',
        message: 'Assembled films/sample.mp4 (10.0 s).',
      },
    });
    await page.locator('[data-assembly] button.link', { hasText: 'Open film' }).click();
    assert.deepEqual((await h.posted()).at(-1), { type: 'openFilm' });
    await h.send({ type: 'assembly', assembly: { state: 'failed', message: 'TAKE_MISSING: no take for "forest".' } });
    assert.equal(
      await page.locator('[data-assembly] [role="alert"]').textContent(),
      'TAKE_MISSING: no take for "forest".',
    );
    // A malformed takes message changes nothing and is not taken for a panel message either.
    await h.send({ type: 'takes', takes: { clips: 'no' } });
    assert.equal(await page.locator('[data-assembly] [role="alert"]').count(), 1);
    assert.deepEqual(await h.violations(), []);
  });
});
