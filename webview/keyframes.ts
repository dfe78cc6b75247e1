/**
 * The keyframe variants view (browser side): the variants of one clip's start or end keyframe side
 * by side, each with a Pick button. It draws what the extension sends (checked with the shared zod
 * schema) and posts only {type: 'pick', index}; the extension maps the index to its own file.
 */
import './zodJitless';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { KeyframesToWebviewSchema, type KeyframesFromWebview, type KeyframesState } from '../src/protocol/keyframes';

interface VsCodeApi {
  postMessage(msg: KeyframesFromWebview): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function draw(s: KeyframesState): void {
  const grid = el('div', { class: 'variants' });
  for (const v of s.variants) {
    const pick = el(
      'vscode-button',
      { 'data-index': String(v.index), class: 'pick' },
      s.picked === v.index ? 'Picked' : 'Pick',
    );
    if (s.busy) pick.setAttribute('disabled', '');
    const figure = el(
      'figure',
      { class: s.picked === v.index ? 'variant picked' : 'variant', 'data-seed': String(v.seed) },
      el('img', { src: v.uri, alt: v.label, width: String(v.width), height: String(v.height) }),
      el('figcaption', {}, `seed ${v.seed} · ${v.width}x${v.height}`, pick),
    );
    grid.append(figure);
  }
  app.replaceChildren(
    el('h1', {}, s.title),
    ...(s.busy ? [el('vscode-progress-bar', { indeterminate: '' })] : []),
    el('p', { class: 'status', role: 'status' }, s.status),
    grid,
  );
}

app.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest('vscode-button.pick');
  const index = Number(b?.getAttribute('data-index'));
  if (b && !b.hasAttribute('disabled') && Number.isInteger(index)) vscode.postMessage({ type: 'pick', index });
});

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const m = KeyframesToWebviewSchema.safeParse(ev.data);
  if (m.success) draw(m.data.state);
});
vscode.postMessage({ type: 'ready' });
