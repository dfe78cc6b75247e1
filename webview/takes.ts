/**
 * The takes strip and the assembly bar (browser side, issue 19). A clip's takes are its renders, listed
 * once: each plays in place with its facts, Choose, and the panel's per-render actions (Open, Reveal,
 * Re-render with this seed, the keyframe-faithful model), which carry data-action so main.ts posts
 * them like the card's other buttons. main.ts places an empty container
 * per clip (takesStrip) and one for the assembly (assemblyBar) when it draws; this module fills them
 * from the TakesState the extension sends, and refills them itself when a new one arrives, so the
 * scene panel and the takes view redraw independently. Controls carry data-key, which main.ts's
 * redraw uses to put the focus back; <video> elements are reused so a playing take keeps playing.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { el, link } from './dom';
import {
  offersFaithful,
  TakesToWebviewSchema,
  type PanelAssembly,
  type PanelClipTakes,
  type PanelTake,
  type TakesState,
  type TakesToExtension,
} from '../src/protocol/messages';

export interface TakesHost {
  postMessage(msg: TakesToExtension): void;
}

let host: TakesHost | undefined;
let state: TakesState | undefined;
/** Take videos by URI, reused across redraws (a new element would restart a take that is playing). */
let videos = new Map<string, HTMLVideoElement>();

/** A control: what it does (data-takes-action), and a stable data-key so a redraw can give the focus back. */
function control<T extends HTMLElement>(e: T, action: string, data: Record<string, string> = {}): T {
  e.dataset.takesAction = action;
  for (const [k, v] of Object.entries(data)) e.dataset[k] = v;
  e.dataset.key = ['takes', action, ...Object.values(data)].join('|');
  return e;
}

function vsButton(label: string, opts: { secondary?: boolean; icon?: string; disabled?: boolean } = {}): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.icon) b.setAttribute('icon', opts.icon);
  if (opts.disabled) b.setAttribute('disabled', '');
  return b;
}

function formatMs(ms: number): string {
  const s = ms / 1000;
  return s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

/** Seed, model, provider and when (and how long) it rendered; a chosen file from elsewhere says so. */
function takeFacts(t: PanelTake): string[] {
  if (t.seed === undefined && !t.providerId) return [t.rel, 'not a render of this timeline (no sidecar)'];
  const made = [
    t.providerId,
    t.model,
    t.backend && !t.model?.toLowerCase().includes(t.backend) ? t.backend : undefined,
  ];
  return [
    `seed ${t.seed ?? '?'}`,
    made.filter(Boolean).join(' · '),
    [t.createdAt ? new Date(t.createdAt).toLocaleString() : '', t.renderMs ? `rendered in ${formatMs(t.renderMs)}` : '']
      .filter(Boolean)
      .join(', '),
    t.width && t.height ? `${t.width}×${t.height}, ${t.numFrames ?? '?'} frames @ ${t.fps ?? '?'} fps` : '',
  ].filter(Boolean);
}

/** A link for the panel's own actions (data-action: main.ts posts it), named for the take it acts on. */
function takeLink(label: string, ariaLabel: string, action: string, data: Record<string, string>): HTMLElement {
  const a = link(label, action, data);
  a.setAttribute('aria-label', ariaLabel);
  return a;
}

/**
 * What a take's card offers besides Choose: open it in VS Code, reveal it in the OS, render the clip
 * again with its seed, and, where its sidecar says the model changed what was asked, the
 * keyframe-faithful model (each warning is shown with it).
 */
function takeActions(c: PanelClipTakes, t: PanelTake, name: string): HTMLElement[] {
  const warnings = (t.warnings ?? []).map((w) => {
    const warn = el('div', { class: 'warn', 'data-code': w.code }, w.message);
    if (t.providerId && offersFaithful(w.code, t.providerId))
      warn.append(
        ' ',
        takeLink('Use the keyframe-faithful model', `Use the keyframe-faithful model (${name})`, 'faithful', {
          path: t.videoPath,
          code: w.code,
        }),
      );
    return warn;
  });
  const links = [
    takeLink('Open', `Open ${name}`, 'open', { path: t.videoPath }),
    takeLink('Reveal', `Reveal ${name} in the file manager`, 'reveal', { path: t.videoPath }),
    ...(t.seed !== undefined
      ? [
          takeLink('Re-render with this seed', `Render ${c.title} again with seed ${t.seed}`, 'render', {
            scene: c.clipId,
            seed: String(t.seed),
          }),
        ]
      : []),
  ];
  return [...warnings, el('div', { class: 'actions take-links' }, ...links)];
}

function takeCard(c: PanelClipTakes, t: PanelTake, i: number): HTMLElement {
  const chosen = t.rel === c.chosen;
  const name = `Take ${i + 1} of ${c.title}${t.seed !== undefined ? `, seed ${t.seed}` : ''}`;
  const video =
    videos.get(t.videoUri) ?? el('video', { src: t.videoUri, controls: '', preload: 'metadata', 'aria-label': name });
  nextVideos.set(t.videoUri, video);
  const choose = control(
    vsButton(chosen ? 'Chosen' : 'Choose', { secondary: !chosen, icon: chosen ? 'pass-filled' : 'circle-large' }),
    'choose',
    { clip: c.clipId, path: t.videoPath },
  );
  choose.setAttribute('aria-pressed', String(chosen));
  choose.setAttribute('aria-label', `${chosen ? 'Chosen' : 'Choose'}: ${name}`);
  const facts = takeFacts(t).map((f) => el('div', { class: 'meta' }, f));
  return el(
    'li',
    { class: `take${chosen ? ' chosen' : ''}`, 'data-take': t.rel, 'aria-current': chosen ? 'true' : 'false' },
    video,
    ...facts,
    ...takeActions(c, t, name),
    el('div', { class: 'actions' }, choose),
  );
}

function continuityRow(c: PanelClipTakes): HTMLElement | undefined {
  if (!c.canContinue) return undefined;
  const id = `continuity-${c.clipId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const box = control(el('input', { type: 'checkbox', id }), 'continuity', { clip: c.clipId });
  box.checked = c.continuity;
  const row = el(
    'div',
    { class: 'continuity' },
    box,
    el('label', { for: id }, 'Start on the last frame of the previous clip'),
  );
  if (c.continuity && c.continuityFrom) row.append(el('span', { class: 'meta' }, ` (from ${c.continuityFrom})`));
  if (c.outOfDate) row.append(el('div', { class: 'warn', role: 'note' }, `Out of date: ${c.outOfDate}`));
  return row;
}

function fillStrip(box: HTMLElement, clipId: string): void {
  const c = state?.clips.find((x) => x.clipId === clipId);
  if (!c) return box.replaceChildren();
  const heading = el(
    'h3',
    {},
    `Takes (${c.takes.length})`,
    c.chosen
      ? el('span', { class: 'meta' }, c.chosenExplicitly ? ' · chosen in the timeline' : ' · the newest counts')
      : '',
  );
  const parts: (HTMLElement | undefined)[] = [heading, continuityRow(c)];
  if (c.missing)
    parts.push(el('div', { class: 'warn', role: 'alert' }, `The chosen take ${c.missing} is gone: choose another.`));
  if (c.takes.length) {
    const list = el('ul', { class: 'take-strip', 'aria-label': `Takes of ${c.title}, newest first` });
    c.takes.forEach((t, i) => list.append(takeCard(c, t, i)));
    parts.push(list);
  } else parts.push(el('div', { class: 'meta' }, 'No takes yet: every render of this clip becomes one.'));
  box.replaceChildren(...parts.filter((p): p is HTMLElement => p !== undefined));
}

function fillAssembly(box: HTMLElement): void {
  const a: PanelAssembly = state?.assembly ?? { state: 'idle' };
  const running = a.state === 'running';
  const parts: HTMLElement[] = [];
  const canAssemble = !!state && !state.problem && state.clips.length > 0;
  parts.push(
    running
      ? control(vsButton('Cancel assembly', { secondary: true, icon: 'debug-stop' }), 'cancelAssemble')
      : control(vsButton('Assemble', { icon: 'device-camera-video', disabled: !canAssemble }), 'assemble'),
  );
  if (running) {
    const pct = Math.round((a.fraction ?? 0) * 100);
    const bar = document.createElement('vscode-progress-bar');
    bar.setAttribute('max', '100');
    if (pct > 0) bar.setAttribute('value', String(pct));
    bar.setAttribute('aria-label', 'Assembling the film');
    parts.push(el('span', { class: 'label', role: 'status' }, `Assembling… ${pct}%`), bar);
  } else if (a.state === 'done') {
    parts.push(
      el('span', { role: 'status' }, a.message ?? `Assembled ${a.film ?? ''}`),
      control(el('button', { class: 'link', type: 'button' }, 'Open film'), 'openFilm'),
    );
  } else if (a.state === 'failed') parts.push(el('span', { class: 'error', role: 'alert' }, a.message ?? 'Failed.'));
  else if (a.state === 'cancelled') parts.push(el('span', { role: 'status' }, a.message ?? 'Cancelled.'));
  if (state?.problem) parts.push(el('span', { class: 'meta' }, state.problem));
  box.replaceChildren(...parts);
}

/** Videos used by the redraw in progress; the others are dropped when it ends. */
let nextVideos = new Map<string, HTMLVideoElement>();

/** An element for main.ts to place in a clip's card; filled now and whenever new takes arrive. */
export function takesStrip(clipId: string): HTMLElement {
  const box = el('div', { class: 'takes', 'data-takes-clip': clipId, role: 'group', 'aria-label': 'Takes' });
  nextVideos = new Map(videos);
  fillStrip(box, clipId);
  videos = nextVideos;
  return box;
}

/** The Assemble button with the assembly's progress, for main.ts to place in the panel's header. */
export function assemblyBar(): HTMLElement {
  const box = el('div', { class: 'assembly', 'data-assembly': '', role: 'group', 'aria-label': 'Assemble the film' });
  fillAssembly(box);
  return box;
}

/** Refills every container on the page, putting the focus back on the control that had it. */
function refill(): void {
  const focusKey = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-key]')?.dataset.key;
  nextVideos = new Map();
  for (const box of document.querySelectorAll<HTMLElement>('[data-takes-clip]'))
    fillStrip(box, box.dataset.takesClip ?? '');
  videos = nextVideos;
  for (const box of document.querySelectorAll<HTMLElement>('[data-assembly]')) fillAssembly(box);
  if (!focusKey || document.activeElement?.closest('[data-key]')) return;
  const again = [...document.querySelectorAll<HTMLElement>('[data-key]')].find((e) => e.dataset.key === focusKey);
  again?.focus();
}

/** Handles the takes view's own messages; false for anything else (main.ts handles those). */
export function handleTakesMessage(data: unknown): boolean {
  const type = (data as { type?: unknown } | null)?.type;
  if (type !== 'takes' && type !== 'assembly') return false;
  const parsed = TakesToWebviewSchema.safeParse(data);
  if (!parsed.success) {
    console.warn('takes: ignored an invalid message', parsed.error.issues.slice(0, 3));
    return true;
  }
  const msg = parsed.data;
  if (msg.type === 'takes') state = msg.takes;
  else if (state) state = { ...state, assembly: msg.assembly };
  else state = { clips: [], assembly: msg.assembly };
  refill();
  return true;
}

function onClick(e: Event): void {
  const target = (e.target as HTMLElement).closest<HTMLElement>('[data-takes-action]');
  if (!target || !host || target.hasAttribute('disabled')) return;
  const d = target.dataset;
  switch (d.takesAction) {
    case 'choose':
      if (target.getAttribute('aria-pressed') !== 'true')
        host.postMessage({ type: 'chooseTake', clipId: d.clip ?? '', videoPath: d.path ?? '' });
      break;
    case 'assemble':
      host.postMessage({ type: 'assemble' });
      break;
    case 'cancelAssemble':
      host.postMessage({ type: 'cancelAssemble' });
      break;
    case 'openFilm':
      host.postMessage({ type: 'openFilm' });
      break;
  }
}

function onChange(e: Event): void {
  const box = e.target as HTMLInputElement;
  if (box.dataset.takesAction !== 'continuity' || !host) return;
  host.postMessage({ type: 'setContinuity', clipId: box.dataset.clip ?? '', on: box.checked });
}

/**
 * Starts listening (clicks anywhere in the page, continuity boxes). The takes come without asking:
 * the extension sends them with the panel's state (after the panel's "ready").
 */
export function initTakes(h: TakesHost): void {
  host = h;
  document.addEventListener('click', onClick);
  document.addEventListener('change', onChange);
}
