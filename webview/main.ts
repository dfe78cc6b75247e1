/**
 * The timeline editor (browser side; also what "Open scene panel" shows). It draws what the
 * extension sends (PanelState, checked with the same zod schemas the extension uses) and posts
 * user intents back; the extension validates every message again and turns edits into text edits
 * of the document, which comes back as a new state. State survives hide and reload through the
 * webview's setState.
 *
 * Redraws: a change to the timeline's structure (scenes or shots added, removed, moved) redraws the
 * list and puts the focus back; any other change (typing) updates the fields in place, except the
 * one being typed in, and redraws only the cards whose render side changed. Progress redraws one
 * card's render side. The takes strip (takes.ts) reuses its <video> elements, so a playing take is never restarted.
 *
 * Modules: dom.ts (element builders), clip.ts (a clip's render side and keyframes), authoring.ts
 * (scene groups, shot cards, fields), dragDrop.ts (reordering and keyframe drops), edits.ts (what
 * the fields and toolbars post).
 */
import './zodJitless';
import {
  ExtensionToWebviewSchema,
  PanelStateSchema,
  type PanelScene,
  type PanelState,
  type WebviewToExtension,
} from '../src/protocol/messages';
import { clipSlot, groupNames, sceneGroup, setLatestOutline, structureOf, updateFields } from './authoring';
import { clipStatus, keyframeThumbs } from './clip';
import { button, el, link } from './dom';
import { installDragAndDrop } from './dragDrop';
import { installEditing } from './edits';
import { assemblyBar, handleTakesMessage, initTakes, takesStrip, type TakesHost } from './takes';

interface VsCodeApi {
  postMessage(msg: WebviewToExtension): void;
  getState(): unknown;
  setState(s: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const restored = PanelStateSchema.safeParse(vscode.getState());
let state: PanelState | undefined = restored.success ? restored.data : undefined;
let marked = false;
const app = document.getElementById('app') as HTMLElement;
let drawnStructure: string | undefined;
/** Each card's clip as last drawn (serialised), to redraw only the cards whose clip changed. */
let drawnClips = new Map<string, string>();
/** Each scene group's names as last drawn (authoring.ts groupNames), to rename only the groups renamed. */
let drawnNames: string[] = [];

const clipsById = (s: PanelState) => new Map(s.scenes.map((c) => [c.id, c]));

/** A clip's card without the editor's outline (the state of an older version, or the webview tests). */
function plainCard(s: PanelScene): HTMLElement {
  return el(
    'section',
    { class: 'scene', 'data-scene': s.id, 'aria-label': s.title },
    keyframeThumbs(s, s.title),
    el('div', {}, clipStatus(s, true), takesStrip(s.id)),
  );
}

/** Redraws everything and puts the focus back on the control that had it (by its key). */
function redrawAll(): void {
  const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-key]');
  const focusKey = focused?.dataset.key;
  const focusScene = focused?.closest<HTMLElement>('section[data-scene]')?.dataset.scene;
  app.replaceChildren(...page());
  drawnStructure = structureOf(state?.outline, state?.editable);
  drawnClips = new Map((state?.scenes ?? []).map((c) => [c.id, JSON.stringify(c)]));
  const outline = state?.outline;
  drawnNames = outline ? outline.scenes.map((_, i) => groupNames(outline, i)) : [];
  if (!focusKey || !focused || focused.isConnected) return;
  // The same control if it is still there; else (Render became Cancel) the card's first control.
  const same = [...app.querySelectorAll<HTMLElement>('[data-key]')].find((e) => e.dataset.key === focusKey);
  const section = focusScene ? app.querySelector<HTMLElement>(`section[data-scene="${CSS.escape(focusScene)}"]`) : null;
  const target = same ?? section?.querySelector<HTMLElement>('.actions [data-key]');
  if (target) focusWhenReady(target);
}

function focusWhenReady(target: HTMLElement): void {
  target.focus();
  // A web component that has not rendered yet cannot take the focus; it can once it has.
  const pending = (target as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
  if (document.activeElement !== target && pending) void pending.then(() => target.isConnected && target.focus());
}

/** Redraws one card's render side and keyframes (progress, a new render), keeping everything else. */
function redrawClip(clip: PanelScene): void {
  const card = app.querySelector<HTMLElement>(`section[data-scene="${CSS.escape(clip.id)}"]`);
  if (!card) return;
  const focusKey = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-key]')?.dataset.key;
  const status = card.querySelector('.clip-status');
  const item = card.dataset.item;
  const fresh = item === undefined ? clipStatus(clip, true) : clipSlot(clip);
  if (status) status.replaceWith(fresh);
  card.firstElementChild?.replaceWith(keyframeThumbs(clip, card.getAttribute('aria-label') ?? clip.title, item));
  drawnClips.set(clip.id, JSON.stringify(clip));
  // Render became Cancel (or back): the focus, if it was on the card's button, moves to the new one.
  if (focusKey && !document.activeElement?.closest('[data-key]')) {
    const again = [...card.querySelectorAll<HTMLElement>('[data-key]')].find((e) => e.dataset.key === focusKey);
    const target = again ?? card.querySelector<HTMLElement>('.actions [data-key]');
    if (target) focusWhenReady(target);
  }
}

/**
 * A renamed scene or shot: its group is drawn again, so every label that names it (toolbar, fields,
 * keyframe boxes, card) says the new name. Not while the focus is in the group (its title is being
 * typed): once the focus leaves it.
 */
function renameGroups(): void {
  const outline = state?.outline;
  if (!state || !outline) return;
  const clips = clipsById(state);
  outline.scenes.forEach((_, i) => {
    const names = groupNames(outline, i);
    if (drawnNames[i] === names) return;
    const group = app.querySelector<HTMLElement>(`[data-group="${i}"]`);
    if (!group || group.contains(document.activeElement)) return;
    group.replaceWith(sceneGroup(outline, i, clips));
    drawnNames[i] = names;
  });
}

/** After a text change that kept the structure: the header, the fields and the cards whose clip changed. */
function update(): void {
  if (!state) return;
  const top = app.querySelector('#top');
  top?.replaceWith(topPart());
  if (state.outline) updateFields(app, state.outline);
  renameGroups();
  const seen = new Set<string>();
  for (const c of state.scenes) {
    seen.add(c.id);
    if (drawnClips.get(c.id) !== JSON.stringify(c)) redrawClip(c);
  }
  // Cards whose clip is gone (the text has problems now) say why they cannot render.
  for (const id of [...drawnClips.keys()].filter((k) => !seen.has(k))) {
    const card = app.querySelector<HTMLElement>(`section[data-scene="${CSS.escape(id)}"] .clip-status`);
    card?.replaceWith(clipSlot(undefined));
    drawnClips.delete(id);
  }
}

function redraw(): void {
  setLatestOutline(state?.outline);
  if (state?.outline && drawnStructure === structureOf(state.outline, state.editable)) update();
  else redrawAll();
}

/** The default provider, never picked, that does not answer: not a failure (the status bar says the same). */
function notSetUp(p: PanelState['provider']): boolean {
  return p.chosen === false && (p.state === 'down' || p.state === 'degraded');
}

function header(s: PanelState): HTMLElement {
  const p = s.provider;
  return el(
    'header',
    {},
    el('h1', {}, s.title ?? 'Scenes'),
    notSetUp(p)
      ? el('span', { class: 'provider unset', 'data-testid': 'provider', role: 'status' }, `${p.id}: not set up`)
      : el(
          'span',
          { class: `provider ${p.state}`, 'data-testid': 'provider', role: 'status' },
          `${p.id}: ${p.state} — ${p.summary}`,
        ),
    button('Render all', 'renderAll', {}, { icon: 'run-all' }),
    button('Cancel all', 'cancelAll', {}, { secondary: true }),
    button('Switch provider', 'command', { command: 'sceneToVideo.switchProvider' }, { secondary: true }),
    // The Assemble bar (webview/takes.ts) keeps its own state: rebuilt with the header, it shows the same progress.
    assemblyBar(),
    ...(s.outline ? [button('Show JSON', 'showText', {}, { secondary: true, icon: 'json' })] : []),
  );
}

/** The notices above the list: keyframe warnings, the preview backend, a provider that is down, the text's problems. */
function notices(s: PanelState): HTMLElement[] {
  const out: HTMLElement[] = [];
  const p = s.provider;
  // One line for what several scenes share; each scene repeats its own warning in short.
  const faithful = s.scenes.filter((c) => c.notices.some((n) => n.offerFaithful));
  if (faithful.length)
    out.push(
      el(
        'div',
        { class: 'notice', role: 'note', 'data-testid': 'keyframe-notice' },
        `${faithful.length} scene(s) have keyframes that the loaded model ignores or shrinks. `,
        link('Use the keyframe-faithful model (Wan2.2-TI2V-5B, 50 steps, slower)', 'faithful', {}),
      ),
    );
  if (p.notAi)
    out.push(
      el(
        'div',
        { class: 'notice', role: 'note' },
        'The adapter runs its preview backend: renders animate the keyframe with a camera move; no AI model is used.',
      ),
    );
  if (notSetUp(p))
    out.push(
      el(
        'div',
        { class: 'notice', role: 'note', 'data-testid': 'provider-not-set-up' },
        `${p.id}, the default provider, is not set up: ${p.summary} `,
        link('Switch provider', 'command', { command: 'sceneToVideo.switchProvider' }),
        ' · ',
        link('Show log', 'command', { command: 'sceneToVideo.showLog' }),
      ),
    );
  else if (p.state === 'down') {
    const fix =
      p.id === 'fastvideo-local'
        ? [link('Start FastVideo adapter', 'command', { command: 'sceneToVideo.startAdapter' }), ' · ']
        : [];
    out.push(
      el(
        'div',
        { class: 'notice error', role: 'alert' },
        `${p.summary} `,
        ...fix,
        link('Switch provider', 'command', { command: 'sceneToVideo.switchProvider' }),
        ' · ',
        link('Show log', 'command', { command: 'sceneToVideo.showLog' }),
      ),
    );
  }
  if (s.editable === false && !s.empty)
    out.push(
      el(
        'div',
        { class: 'notice error', role: 'alert', 'data-testid': 'not-editable' },
        'The text is not valid JSON, so the editor shows nothing and changes nothing until it is fixed. ',
        link('Show the JSON', 'showText', {}),
      ),
    );
  for (const problem of s.problems)
    out.push(el('div', { class: 'notice error', role: 'alert', 'data-testid': 'problem' }, problem));
  return out;
}

function topPart(): HTMLElement {
  return el('div', { id: 'top' }, ...(state ? [header(state), ...notices(state)] : []));
}

function emptyHint(s: PanelState): HTMLElement {
  if (s.empty)
    return el(
      'p',
      { 'data-testid': 'empty' },
      'This file is empty. ',
      button('Start a timeline here', 'startTimeline', {}, { icon: 'new-file' }),
    );
  return el(
    'p',
    { 'data-testid': 'empty' },
    'No scenes yet. ',
    ...(s.outline
      ? [button('Add scene', 'addScene', {}, { icon: 'add' })]
      : [
          'In the timeline, complete "New scene" inside "scenes", or ',
          link('start a new timeline', 'command', { command: 'sceneToVideo.newTimeline' }),
          ' with one scene.',
        ]),
  );
}

function page(): HTMLElement[] {
  if (!state)
    return [
      el(
        'p',
        {},
        'Open a *.timeline.json file to see its scenes, or ',
        link('start a new timeline', 'command', { command: 'sceneToVideo.newTimeline' }),
        '.',
      ),
    ];
  const out: HTMLElement[] = [topPart()];
  const outline = state.outline;
  if (outline) {
    const clips = clipsById(state);
    const list = el('div', { class: 'scene-list', role: 'list', 'aria-label': 'Scenes' });
    outline.scenes.forEach((_, i) => list.append(sceneGroup(outline, i, clips)));
    out.push(list);
    if (outline.scenes.length)
      out.push(el('div', { class: 'actions' }, button('Add scene', 'addScene', {}, { icon: 'add' })));
  } else for (const s of state.scenes) out.push(plainCard(s));
  if ((outline ? outline.scenes.length : state.scenes.length) === 0 && (state.problems.length === 0 || state.empty))
    out.push(emptyHint(state));
  return out;
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (handleTakesMessage(e.data)) return; // the takes strip's and the assembly's own messages
  const parsed = ExtensionToWebviewSchema.safeParse(e.data);
  if (!parsed.success) {
    console.warn('scene panel: ignored an invalid message', parsed.error.issues.slice(0, 3));
    return;
  }
  const msg = parsed.data;
  if (msg.type === 'state') {
    state = msg.state;
    vscode.setState(state);
    redraw();
    editing.stateArrived();
    // After the frame that shows the scenes has been painted (the task after the next animation
    // frame): the benchmark reads this mark for the editor's time to first paint.
    if (!marked) requestAnimationFrame(() => setTimeout(() => performance.mark('stv:scenes-painted')));
    marked = true;
    return;
  }
  if (msg.type === 'edited') return editing.applied();
  const scene = state?.scenes.find((s) => s.id === msg.sceneId);
  if (!state || !scene) return;
  scene.job = msg.job;
  vscode.setState(state);
  redrawClip(scene);
});

const post = (m: WebviewToExtension) => vscode.postMessage(m);
// A group renamed while the focus was in it is named anew once the focus has left it.
app.addEventListener('focusout', () => setTimeout(renameGroups));
const editing = installEditing(app, post, () => state);
installDragAndDrop(app, editing.dropTarget);

initTakes(vscode as unknown as TakesHost);
redraw();
post({ type: 'ready' });
