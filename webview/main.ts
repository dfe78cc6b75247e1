/**
 * The scene panel (browser side). It renders what the extension sends (PanelState) and posts
 * user intents back; the extension validates every message. State survives hide/reload through
 * the webview's setState.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import type { ExtensionToWebview, PanelJob, PanelScene, PanelState, WebviewToExtension } from '../src/protocol/messages';

interface VsCodeApi {
  postMessage(msg: WebviewToExtension): void;
  getState(): PanelState | undefined;
  setState(s: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: PanelState | undefined = vscode.getState();
const app = document.getElementById('app') as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

function button(label: string, action: string, data: Record<string, string> = {}, secondary = false): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.dataset.action = action;
  for (const [k, v] of Object.entries(data)) b.dataset[k] = v;
  if (secondary) b.setAttribute('secondary', '');
  return b;
}

function link(label: string, action: string, data: Record<string, string>): HTMLElement {
  const b = el('button', { class: 'link', type: 'button' }, label);
  b.dataset.action = action;
  for (const [k, v] of Object.entries(data)) b.dataset[k] = v;
  return b;
}

function formatEta(ms?: number): string {
  if (!ms) return '';
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? ` · about ${Math.ceil(s / 60)} min left` : ` · about ${s} s left`;
}

function jobView(scene: PanelScene, job: PanelJob): HTMLElement | undefined {
  if (job.state === 'queued' || job.state === 'running') {
    const bar = document.createElement('vscode-progress-bar');
    bar.setAttribute('max', '100');
    if (job.state === 'running' && job.fraction !== undefined) bar.setAttribute('value', String(Math.round(job.fraction * 100)));
    bar.setAttribute('aria-label', `Rendering ${scene.title}`);
    const label = job.state === 'queued' ? 'Queued' : `${job.stage ?? 'Rendering'} ${Math.round((job.fraction ?? 0) * 100)}%${formatEta(job.etaMs)}`;
    return el('div', { class: 'progress', 'data-testid': `progress-${scene.id}` }, el('div', { class: 'label' }, label), bar);
  }
  if (job.state === 'failed' && job.error) {
    const box = el('div', { class: 'notice error', role: 'alert' }, el('strong', {}, `${job.error.code}: `), job.error.message);
    if (job.error.hint) box.append(el('div', {}, job.error.hint));
    if (job.error.code === 'UNREACHABLE' || job.error.code === 'ADAPTER_CRASHED') box.append(el('div', { class: 'actions' }, button('Start adapter', 'command', { command: 'sceneToVideo.startAdapter' }, true), button('Switch provider', 'command', { command: 'sceneToVideo.switchProvider' }, true), button('Show log', 'command', { command: 'sceneToVideo.showLog' }, true)));
    return box;
  }
  if (job.state === 'cancelled') return el('div', { class: 'meta' }, 'Cancelled.');
  return undefined;
}

function sceneView(s: PanelScene, st: PanelState): HTMLElement {
  const running = s.job && (s.job.state === 'queued' || s.job.state === 'running');
  const thumb = s.keyframeUri ? el('img', { class: 'thumb', src: s.keyframeUri, alt: `Keyframe of ${s.title}` }) : el('div', { class: 'thumb', role: 'img', 'aria-label': 'No keyframe' });
  const actions = el('div', { class: 'actions' }, running ? button('Cancel', 'cancel', { jobId: s.job?.jobId ?? '' }, true) : button('Render', 'render', { scene: s.id }));
  const body = el(
    'div',
    {},
    el('h2', {}, s.title),
    el('div', { class: 'meta' }, `${s.id} · ${s.width}×${s.height} · ${s.numFrames} frames @ ${s.fps} fps · seed ${s.seed}`),
    el('div', { class: 'prompt' }, s.prompt),
    s.negativePrompt ? el('div', { class: 'meta' }, `Avoid: ${s.negativePrompt}`) : undefined,
    actions,
    s.job ? jobView(s, s.job) : undefined,
  );
  if (s.renders.length) {
    const list = el('ul', { class: 'renders', 'aria-label': `Renders of ${s.title}, newest first` });
    for (const r of s.renders) {
      const video = el('video', { src: r.videoUri, controls: '', preload: 'metadata', 'aria-label': `Render of ${s.title}, seed ${r.seed}` });
      const info = el('div', {}, el('div', {}, `${new Date(r.createdAt).toLocaleString()} · ${r.providerId} · seed ${r.seed}`), el('div', { class: 'meta' }, `${r.width}×${r.height}, ${r.numFrames} frames @ ${r.fps} fps${r.model ? ` · ${r.model}` : ''}`));
      for (const w of r.warnings) {
        const warn = el('div', { class: 'warn' }, w.message);
        if (w.code === 'KEYFRAME_IGNORED') warn.append(' ', link('Use the keyframe-faithful model', 'faithful', {}));
        info.append(warn);
      }
      info.append(el('div', { class: 'actions' }, link('Open', 'open', { path: r.videoPath }), link('Reveal', 'reveal', { path: r.videoPath }), link('Re-render with this seed', 'render', { scene: s.id, seed: String(r.seed) })));
      list.append(el('li', { class: 'render' }, video, info));
    }
    body.append(list);
  }
  void st;
  return el('section', { class: 'scene', 'data-scene': s.id, 'aria-label': s.title }, thumb, body);
}

function render(): void {
  app.replaceChildren();
  if (!state) {
    app.append(el('p', {}, 'Open a *.timeline.json file to see its scenes.'));
    return;
  }
  const p = state.provider;
  const header = el(
    'header',
    {},
    el('h1', {}, state.title ?? 'Scenes'),
    el('span', { class: `provider ${p.state}`, 'data-testid': 'provider' }, `${p.id}: ${p.state} — ${p.summary}`),
    button('Render all', 'renderAll'),
    button('Cancel all', 'cancelAll', {}, true),
    button('Switch provider', 'command', { command: 'sceneToVideo.switchProvider' }, true),
  );
  app.append(header);
  if (p.id === 'fastvideo-local' && p.followsKeyframe === false && state.scenes.some((s) => s.keyframeUri))
    app.append(el('div', { class: 'notice', role: 'note' }, `${p.model ?? 'This model'} ignores keyframes: clips follow the prompt only. `, link('Use the keyframe-faithful model (Wan2.2-TI2V-5B, slower)', 'faithful', {})));
  if (p.notAi) app.append(el('div', { class: 'notice', role: 'note' }, 'The adapter runs its preview backend: renders animate the keyframe with a camera move; no AI model is used.'));
  for (const problem of state.problems) app.append(el('div', { class: 'notice error', role: 'alert' }, problem));
  for (const s of state.scenes) app.append(sceneView(s, state));
}

window.addEventListener('message', (e: MessageEvent<ExtensionToWebview>) => {
  const msg = e.data;
  if (msg.type === 'state') state = msg.state;
  else if (msg.type === 'job' && state) {
    const scene = state.scenes.find((s) => s.id === msg.sceneId);
    if (scene) scene.job = msg.job;
  }
  if (state) vscode.setState(state);
  render();
});

app.addEventListener('click', (e) => {
  const target = (e.target as HTMLElement).closest<HTMLElement>('[data-action]');
  if (!target) return;
  const d = target.dataset;
  switch (d.action) {
    case 'render':
      vscode.postMessage({ type: 'render', sceneId: d.scene ?? '', ...(d.seed ? { seed: Number(d.seed) } : {}) });
      break;
    case 'renderAll':
      vscode.postMessage({ type: 'renderAll' });
      break;
    case 'cancel':
      vscode.postMessage({ type: 'cancel', jobId: d.jobId ?? '' });
      break;
    case 'cancelAll':
      vscode.postMessage({ type: 'cancelAll' });
      break;
    case 'open':
      vscode.postMessage({ type: 'open', videoPath: d.path ?? '' });
      break;
    case 'reveal':
      vscode.postMessage({ type: 'reveal', videoPath: d.path ?? '' });
      break;
    case 'faithful':
      vscode.postMessage({ type: 'useKeyframeFaithfulModel' });
      break;
    case 'command':
      vscode.postMessage({ type: 'runCommand', command: d.command as 'sceneToVideo.startAdapter' });
      break;
  }
});

render();
vscode.postMessage({ type: 'ready' });
