/**
 * The scene panel (browser side). It draws what the extension sends (PanelState, checked with the
 * same zod schemas the extension uses) and posts user intents back; the extension validates every
 * message again. State survives hide and reload through the webview's setState. Redraws keep the
 * keyboard focus and reuse <video> elements, so progress updates neither steal focus nor stop a
 * clip that is playing.
 */
import './zodJitless';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import {
  ExtensionToWebviewSchema,
  PanelStateSchema,
  offersFaithful,
  type ErrorAction,
  type PanelJob,
  type PanelRender,
  type PanelScene,
  type PanelState,
  type WebviewToExtension,
} from '../src/protocol/messages';
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
/** Video elements by URI, reused across redraws (a new element would restart the clip). */
let videos = new Map<string, HTMLVideoElement>();

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

/** Every control gets a stable key (action + its data) so focus can be put back after a redraw. */
function keyed(e: HTMLElement, action: string, data: Record<string, string>): HTMLElement {
  e.dataset.action = action;
  for (const [k, v] of Object.entries(data)) e.dataset[k] = v;
  e.dataset.key = [action, ...Object.values(data)].join('|');
  return e;
}

function button(
  label: string,
  action: string,
  data: Record<string, string> = {},
  opts: { secondary?: boolean; icon?: string } = {},
): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.icon) b.setAttribute('icon', opts.icon);
  return keyed(b, action, data);
}

function link(label: string, action: string, data: Record<string, string> = {}): HTMLElement {
  return keyed(el('button', { class: 'link', type: 'button' }, label), action, data);
}

const STAGE_LABEL: Record<string, string> = {
  queued: 'Queued',
  uploading: 'Uploading the keyframe',
  loading: 'Loading the model',
  'encoding-prompt': 'Encoding the prompt',
  denoising: 'Denoising',
  decoding: 'Decoding',
  encoding: 'Encoding the MP4',
  saving: 'Saving',
  downloading: 'Downloading',
  done: 'Done',
};

function formatEta(ms?: number): string {
  if (!ms) return '';
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? ` · about ${Math.ceil(s / 60)} min left` : ` · about ${s} s left`;
}

function progressLabel(job: PanelJob): string {
  if (job.state === 'queued' || job.stage === 'queued')
    return job.queuePosition ? `Queued (position ${job.queuePosition})` : 'Queued';
  const stage = STAGE_LABEL[job.stage ?? ''] ?? job.stage ?? 'Rendering';
  const steps =
    job.stage === 'denoising' && job.step !== undefined && job.totalSteps
      ? ` (step ${job.step} of ${job.totalSteps})`
      : '';
  return `${stage}${steps} · ${Math.round((job.fraction ?? 0) * 100)}%${formatEta(job.etaMs)}`;
}

function jobView(scene: PanelScene, job: PanelJob): HTMLElement | undefined {
  if (job.state === 'queued' || job.state === 'running') {
    const bar = document.createElement('vscode-progress-bar');
    bar.setAttribute('max', '100');
    // Indeterminate (moving) until there is progress to show; a 0% bar would look stalled.
    if (job.state === 'running' && job.fraction) bar.setAttribute('value', String(Math.round(job.fraction * 100)));
    bar.setAttribute('aria-label', `Rendering ${scene.title}`);
    return el(
      'div',
      { class: 'progress', 'data-testid': `progress-${scene.id}` },
      el('div', { class: 'label', role: 'status' }, progressLabel(job)),
      bar,
    );
  }
  if (job.state === 'failed' && job.error) {
    const box = el(
      'div',
      { class: 'notice error', role: 'alert', 'data-testid': `error-${scene.id}` },
      el('strong', {}, `${job.error.code}: `),
      job.error.message,
    );
    if (job.error.hint) box.append(el('div', {}, job.error.hint));
    const actions = job.error.actions.map((a: ErrorAction, i) =>
      button(a, 'errorAction', { errorAction: a, code: job.error?.code ?? '' }, { secondary: i > 0 }),
    );
    if (actions.length) box.append(el('div', { class: 'actions' }, ...actions));
    return box;
  }
  if (job.state === 'cancelled') return el('div', { class: 'meta', role: 'status' }, 'Cancelled.');
  return undefined;
}

/** What made a clip, from its sidecar (not the provider active now): provider, model, backend. */
function madeBy(r: PanelRender): string {
  return [
    r.providerId,
    r.model,
    r.backend && !r.model?.toLowerCase().includes(r.backend) ? `${r.backend} backend` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}

function sceneView(s: PanelScene): HTMLElement {
  const running = s.job && (s.job.state === 'queued' || s.job.state === 'running');
  const start = s.keyframeUri
    ? el('img', {
        class: 'thumb',
        src: s.keyframeUri,
        alt: `${s.endKeyframeUri ? 'Start keyframe' : 'Keyframe'} of ${s.title}`,
      })
    : el('div', { class: 'thumb', role: 'img', 'aria-label': 'No keyframe' });
  // Bookends: the end keyframe under the start one.
  const thumb = s.endKeyframeUri
    ? el(
        'div',
        { class: 'bookends' },
        start,
        el('img', { class: 'thumb end', src: s.endKeyframeUri, alt: `End keyframe of ${s.title}` }),
      )
    : start;
  const renderButtons = s.sceneId
    ? [
        button('Render shot', 'render', { scene: s.id }, { icon: 'play' }),
        button('Render scene', 'render', { scene: s.sceneId }, { secondary: true, icon: 'run-all' }),
      ]
    : [button('Render', 'render', { scene: s.id }, { icon: 'play' })];
  const actions = el(
    'div',
    { class: 'actions' },
    ...(running
      ? [button('Cancel', 'cancel', { jobId: s.job?.jobId ?? '' }, { secondary: true, icon: 'debug-stop' })]
      : renderButtons),
  );
  const body = el(
    'div',
    {},
    el('h2', {}, s.title),
    el(
      'div',
      { class: 'meta' },
      `${s.id} · ${s.width}×${s.height} · ${s.numFrames} frames @ ${s.fps} fps · seed ${s.seed} · ${s.providerId}`,
    ),
    el('div', { class: 'prompt' }, s.prompt),
    s.negativePrompt ? el('div', { class: 'meta' }, `Avoid: ${s.negativePrompt}`) : undefined,
  );
  for (const n of s.notices) {
    const warn = el('div', { class: 'warn', 'data-code': n.code }, n.message);
    if (n.offerFaithful)
      warn.append(' ', link('Use the keyframe-faithful model', 'faithful', { scene: s.id, code: n.code }));
    body.append(warn);
  }
  body.append(actions);
  const job = s.job ? jobView(s, s.job) : undefined;
  if (job) body.append(job);
  body.append(takesStrip(s.id));
  if (s.renders.length) {
    const list = el('ul', { class: 'renders', 'aria-label': `Renders of ${s.title}, newest first` });
    for (const r of s.renders) {
      const video =
        videos.get(r.videoUri) ??
        el('video', {
          src: r.videoUri,
          controls: '',
          preload: 'metadata',
          'aria-label': `Render of ${s.title}, seed ${r.seed}`,
        });
      nextVideos.set(r.videoUri, video);
      const info = el(
        'div',
        {},
        el('div', {}, `${new Date(r.createdAt).toLocaleString()} · ${madeBy(r)} · seed ${r.seed}`),
        el('div', { class: 'meta' }, `${r.width}×${r.height}, ${r.numFrames} frames @ ${r.fps} fps`),
      );
      for (const w of r.warnings) {
        const warn = el('div', { class: 'warn', 'data-code': w.code }, w.message);
        if (offersFaithful(w.code, r.providerId))
          warn.append(' ', link('Use the keyframe-faithful model', 'faithful', { path: r.videoPath, code: w.code }));
        info.append(warn);
      }
      info.append(
        el(
          'div',
          { class: 'actions' },
          link('Open', 'open', { path: r.videoPath }),
          link('Reveal', 'reveal', { path: r.videoPath }),
          link('Re-render with this seed', 'render', { scene: s.id, seed: String(r.seed) }),
        ),
      );
      list.append(el('li', { class: 'render' }, video, info));
    }
    body.append(list);
  }
  return el('section', { class: 'scene', 'data-scene': s.id, 'aria-label': s.title }, thumb, body);
}

/** Videos used by the redraw in progress; the others are dropped when it ends. */
let nextVideos = new Map<string, HTMLVideoElement>();

/** Redraws (all of it, or one scene) and puts the focus back on the control that had it. */
function redraw(sceneId?: string): void {
  const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-key]');
  const focusKey = focused?.dataset.key;
  const focusScene = focused?.closest<HTMLElement>('section[data-scene]')?.dataset.scene;
  if (sceneId && state) {
    const scene = state.scenes.find((s) => s.id === sceneId);
    const old = app.querySelector<HTMLElement>(`section[data-scene="${CSS.escape(sceneId)}"]`);
    if (!scene || !old) return redraw();
    nextVideos = new Map([...videos].filter(([uri]) => !scene.renders.some((r) => r.videoUri === uri)));
    old.replaceWith(sceneView(scene));
  } else {
    nextVideos = new Map();
    app.replaceChildren(...page());
  }
  videos = nextVideos;
  if (!focusKey || !focused || focused.isConnected) return;
  // The same control if it is still there; else (Render became Cancel) the scene's first control.
  const same = [...app.querySelectorAll<HTMLElement>('[data-key]')].find((e) => e.dataset.key === focusKey);
  const section = focusScene ? app.querySelector<HTMLElement>(`section[data-scene="${CSS.escape(focusScene)}"]`) : null;
  const target = same ?? section?.querySelector<HTMLElement>('.actions [data-key]');
  if (!target) return;
  target.focus();
  // A web component that has not rendered yet cannot take the focus; it can once it has.
  const pending = (target as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
  if (document.activeElement !== target && pending) void pending.then(() => target.isConnected && target.focus());
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
  const out: HTMLElement[] = [];
  const p = state.provider;
  out.push(
    el(
      'header',
      {},
      el('h1', {}, state.title ?? 'Scenes'),
      el(
        'span',
        { class: `provider ${p.state}`, 'data-testid': 'provider', role: 'status' },
        `${p.id}: ${p.state} — ${p.summary}`,
      ),
      button('Render all', 'renderAll', {}, { icon: 'run-all' }),
      button('Cancel all', 'cancelAll', {}, { secondary: true }),
      button('Switch provider', 'command', { command: 'sceneToVideo.switchProvider' }, { secondary: true }),
      assemblyBar(),
    ),
  );
  // One line for what several scenes share; each scene repeats its own warning in short.
  const faithful = state.scenes.filter((s) => s.notices.some((n) => n.offerFaithful));
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
  if (p.state === 'down') {
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
  for (const problem of state.problems) out.push(el('div', { class: 'notice error', role: 'alert' }, problem));
  for (const s of state.scenes) out.push(sceneView(s));
  if (state.scenes.length === 0 && state.problems.length === 0)
    out.push(
      el(
        'p',
        { 'data-testid': 'empty' },
        'No scenes yet. In the timeline, complete "New scene" inside "scenes", or ',
        link('start a new timeline', 'command', { command: 'sceneToVideo.newTimeline' }),
        ' with one scene.',
      ),
    );
  return out;
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (handleTakesMessage(e.data)) return;
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
    // After the frame that shows the scenes has been painted (the task after the next animation
    // frame): the benchmark reads this mark for the panel's time to first paint.
    if (!marked) requestAnimationFrame(() => setTimeout(() => performance.mark('stv:scenes-painted')));
    marked = true;
    return;
  }
  const scene = state?.scenes.find((s) => s.id === msg.sceneId);
  if (!state || !scene) return;
  scene.job = msg.job;
  vscode.setState(state);
  redraw(scene.id);
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
    case 'errorAction':
      vscode.postMessage({ type: 'errorAction', action: d.errorAction as ErrorAction, code: d.code ?? '' });
      break;
    case 'command':
      vscode.postMessage({ type: 'runCommand', command: d.command as 'sceneToVideo.startAdapter' });
      break;
  }
});

redraw();
vscode.postMessage({ type: 'ready' });
initTakes(vscode as unknown as TakesHost);
