/**
 * The timeline editor's authoring side: each scene (a group) and each clip (a card: a one-shot
 * scene, or a shot) with its fields, a toolbar (move, duplicate, delete, add a shot) and drop
 * targets for keyframes. Fields show the values as written; an empty field shows what it inherits
 * as its placeholder. After a text change the fields are updated in place (the one being typed in
 * is left alone), so a keystroke never redraws the list.
 */
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { EDITOR_PROVIDERS, type OutlineFields, type PanelOutline, type PanelScene } from '../src/protocol/messages';
import type { EditableField } from '../src/core/timeline/editableFields';
import { clipStatus, keyframeThumbs } from './clip';
import { button, el, iconButton } from './dom';
import { takesStrip } from './takes';

type OutlineScene = PanelOutline['scenes'][number];

const LABEL: Record<EditableField, string> = {
  title: 'Title',
  prompt: 'Prompt',
  negativePrompt: 'Negative prompt',
  seconds: 'Seconds',
  frames: 'Frames',
  seed: 'Seed',
  width: 'Width',
  height: 'Height',
  provider: 'Provider',
  model: 'Model',
};

/** The item key the DOM carries: "3" for scene 3, "3.1" for its shot 1. */
export const itemKey = (scene: number, shot?: number) => (shot === undefined ? `${scene}` : `${scene}.${shot}`);

/** What the webview sends for an item key, with the ids the outline has there now. */
export function itemRef(outline: PanelOutline | undefined, key: string) {
  const [a, b] = key.split('.').map(Number);
  const scene = outline?.scenes[a ?? -1];
  if (!scene || a === undefined) return undefined;
  if (b === undefined) return { scene: a, sceneId: scene.id };
  const shot = scene.shots[b];
  return shot ? { scene: a, sceneId: scene.id, shot: b, shotId: shot.id } : undefined;
}

/** The clip id the extension uses for render and job messages ("scene" or "scene/shot"). */
export function clipId(scene: OutlineScene, shot?: number): string {
  const s = shot === undefined ? undefined : scene.shots[shot];
  return s ? `${scene.id}/${s.id}` : scene.id;
}

const text = (v: string | number | undefined) => (v === undefined ? '' : String(v));

function field(key: string, f: EditableField, value: string | number | undefined, owner: string, hint: string) {
  // No "." in the id: vscode-label finds its field with querySelector(`#${id}`), where "1.0" would read as a class.
  const id = `f-${key.replace('.', '_')}-${f}`;
  const attrs = { id, 'data-field': f, 'data-item': key, label: `${LABEL[f]} of ${owner}` };
  let control: HTMLElement & { value: string };
  if (f === 'provider') {
    const select = el('vscode-single-select', attrs) as HTMLElement & { value: string };
    for (const p of ['', ...EDITOR_PROVIDERS])
      select.append(el('vscode-option', { value: p }, p || `(inherited${hint ? `: ${hint}` : ''})`));
    control = select;
  } else if (f === 'prompt' || f === 'negativePrompt') {
    control = el('vscode-textarea', { ...attrs, rows: f === 'prompt' ? '3' : '2', resize: 'vertical' }) as never;
  } else {
    const numeric = f !== 'title' && f !== 'model';
    control = el('vscode-textfield', { ...attrs, ...(numeric ? { type: 'number' } : {}) }) as never;
  }
  if (hint && f !== 'provider') control.setAttribute('placeholder', hint);
  control.value = text(value);
  control.dataset.key = `field|${key}|${f}`;
  // vscode-label gives its field its own text as the accessible name: the owner is in it, shown only to
  // screen readers, so ten "Prompt" fields on a page are told apart ("Prompt of Harbour — boat").
  const label = el('vscode-label', { for: id }, LABEL[f], el('span', { class: 'sr-only' }, ` of ${owner}`));
  return el('div', { class: `field field-${f}` }, label, control);
}

/**
 * Fields are built when their card comes near the viewport: a card's ten web components cost far
 * more than its text, and a 1,000-shot timeline would otherwise draw 10,000 of them before its
 * first paint. Until then the card shows its title and prompt as text, in the fields' place.
 */
const builders = new WeakMap<Element, () => HTMLElement>();
const nearView =
  typeof IntersectionObserver === 'undefined'
    ? undefined
    : new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            if (!e.isIntersecting) continue;
            nearView?.unobserve(e.target);
            const build = builders.get(e.target);
            if (build && e.target.isConnected) e.target.replaceWith(build());
          }
        },
        { rootMargin: '800px 0px' },
      );

/** The outline the latest state carries: a card built late takes its values from it, not from when it was drawn. */
let latest: PanelOutline | undefined;
export function setLatestOutline(o: PanelOutline | undefined): void {
  latest = o;
}

function fieldsOf(key: string, fallback: OutlineFields): OutlineFields {
  const [a, b] = key.split('.').map(Number);
  const sc = latest?.scenes[a ?? -1];
  return (b === undefined ? sc?.fields : sc?.shots[b]?.fields) ?? fallback;
}

function lazyFields(
  key: string,
  fields: OutlineFields,
  owner: string,
  inherited: Partial<Record<EditableField, string>>,
): HTMLElement {
  if (!nearView) return fieldsView(key, fields, owner, inherited);
  const holder = el(
    'div',
    { class: 'fields pending', 'data-pending': key },
    el('div', { class: 'pending-title' }, text(fields.title) || owner),
    el('div', { class: 'prompt' }, text(fields.prompt) || text(inherited.prompt)),
  );
  builders.set(holder, () => fieldsView(key, fieldsOf(key, fields), owner, inherited));
  nearView.observe(holder);
  return holder;
}

/** The fields of a scene or shot; `inherited` gives placeholders for what it leaves to its scene/defaults. */
export function fieldsView(
  key: string,
  fields: OutlineFields,
  owner: string,
  inherited: Partial<Record<EditableField, string>>,
) {
  const f = (name: EditableField) => field(key, name, fields[name], owner, inherited[name] ?? '');
  return el(
    'div',
    { class: 'fields' },
    f('title'),
    f('prompt'),
    f('negativePrompt'),
    el('div', { class: 'field-row' }, f('seconds'), f('frames'), f('seed'), f('width'), f('height')),
    el('div', { class: 'field-row' }, f('provider'), f('model')),
  );
}

function toolbar(key: string, owner: string, isShot: boolean, position: number, count: number): HTMLElement {
  const what = isShot ? 'shot' : 'scene';
  const handle = iconButton('gripper', `Move ${what} ${owner} (drag, or Alt+Up / Alt+Down)`, 'handle', { item: key });
  handle.setAttribute('draggable', 'true');
  handle.classList.add('handle');
  return el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': `${what} ${owner}` },
    handle,
    ...(position > 0 ? [iconButton('arrow-up', `Move ${what} ${owner} up`, 'moveUp', { item: key })] : []),
    ...(position < count - 1
      ? [iconButton('arrow-down', `Move ${what} ${owner} down`, 'moveDown', { item: key })]
      : []),
    iconButton('copy', `Duplicate ${what} ${owner}`, 'duplicate', { item: key }),
    iconButton('add', isShot ? `Add a shot after ${owner}` : `Add a shot to ${owner}`, 'addShot', { item: key }),
    iconButton('trash', `Delete ${what} ${owner}`, 'delete', { item: key }),
  );
}

/** The render side of a card, or why there is none (the text has problems). */
export function clipSlot(clip: PanelScene | undefined): HTMLElement {
  return clip
    ? clipStatus(clip, false)
    : el('div', { class: 'clip-status meta', 'data-status': '' }, 'Fix the problems above to render this clip.');
}

/** A clip's card: keyframes (drop targets), toolbar, fields, render side and a place for its takes. */
function card(
  key: string,
  id: string,
  fields: OutlineFields,
  owner: string,
  clip: PanelScene | undefined,
  tools: HTMLElement | undefined,
  inherited: Partial<Record<EditableField, string>>,
): HTMLElement {
  return el(
    'section',
    { class: 'scene', 'data-scene': id, 'data-item': key, 'aria-label': owner },
    keyframeThumbs(clip, owner, key),
    el(
      'div',
      { class: 'card-body' },
      ...(tools ? [tools] : []),
      lazyFields(key, fields, owner, inherited),
      clipSlot(clip),
      // The clip's takes: play, choose, continuity (webview/takes.ts fills it from its own messages).
      takesStrip(id),
    ),
  );
}

const sceneInherits = (): Partial<Record<EditableField, string>> => ({
  seconds: 'defaults',
  frames: 'defaults',
  seed: 'seed policy',
  width: 'defaults',
  height: 'defaults',
  provider: 'defaults',
  model: 'defaults',
});

/** One scene: a one-shot scene is a single card; a scene with shots has its fields, then a card per shot. */
export function sceneGroup(outline: PanelOutline, i: number, clips: Map<string, PanelScene>): HTMLElement {
  const sc = outline.scenes[i] as OutlineScene;
  const title = text(sc.fields.title) || sc.id || `Scene ${i + 1}`;
  const key = itemKey(i);
  const tools = toolbar(key, title, false, i, outline.scenes.length);
  const group = el('div', {
    class: 'scene-group',
    'data-group': key,
    role: 'listitem',
    'aria-label': `Scene ${title}`,
  });
  if (sc.shots.length === 0) {
    group.append(card(key, sc.id, sc.fields, title, clips.get(sc.id), tools, sceneInherits()));
    return group;
  }
  group.append(
    el('div', { class: 'scene-head', 'data-item': key }, tools, lazyFields(key, sc.fields, title, sceneInherits())),
  );
  const shots = el('div', { class: 'shots', role: 'list', 'aria-label': `Shots of ${title}` });
  sc.shots.forEach((shot, j) => {
    const k = itemKey(i, j);
    const owner = `${title} — ${text(shot.fields.title) || shot.id}`;
    const inherited = {
      ...sceneInherits(),
      prompt: text(sc.fields.prompt),
      negativePrompt: text(sc.fields.negativePrompt),
      title: shot.id,
    };
    const wrap = el('div', { role: 'listitem' });
    wrap.append(
      card(
        k,
        clipId(sc, j),
        shot.fields,
        owner,
        clips.get(clipId(sc, j)),
        toolbar(k, owner, true, j, sc.shots.length),
        inherited,
      ),
    );
    shots.append(wrap);
  });
  group.append(
    shots,
    el('div', { class: 'actions' }, button('Add shot', 'addShot', { item: key }, { secondary: true, icon: 'add' })),
  );
  return group;
}

/**
 * The names a scene group's labels are made of (its title, its shots' titles): when they change (a
 * rename), main.ts redraws that group so its toolbars, fields and keyframe boxes are named anew.
 */
export function groupNames(outline: PanelOutline, i: number): string {
  const sc = outline.scenes[i];
  if (!sc) return '';
  return JSON.stringify([text(sc.fields.title), sc.shots.map((x) => text(x.fields.title))]);
}

/** What decides the DOM's structure: a change here redraws the list; anything else is updated in place. */
export function structureOf(outline: PanelOutline | undefined, editable: boolean | undefined): string {
  return JSON.stringify([editable, outline?.version, outline?.scenes.map((s) => [s.id, s.shots.map((x) => x.id)])]);
}

/** Puts the outline's values into the fields, except the one the user is typing in and those whose edit is not sent yet. */
export function updateFields(root: HTMLElement, outline: PanelOutline): void {
  const focused = document.activeElement;
  for (const c of root.querySelectorAll<HTMLElement & { value: string }>('[data-field]')) {
    if (c === focused || c.dataset.unsent !== undefined) continue;
    const [a, b] = (c.dataset.item ?? '').split('.').map(Number);
    const sc = outline.scenes[a ?? -1];
    const fields = b === undefined ? sc?.fields : sc?.shots[b]?.fields;
    const v = text(fields?.[c.dataset.field as EditableField]);
    if (c.value !== v) c.value = v;
  }
}
