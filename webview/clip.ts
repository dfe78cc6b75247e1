/**
 * One clip's render side in the editor: its resolved settings, the warnings it deserves before it
 * renders, Render / Cancel, progress, errors with their fixing actions, and its renders (playable),
 * plus its keyframes, which are also where an image is dropped. Redraws reuse <video> elements by
 * URI, so progress updates never restart a clip that is playing.
 */
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import {
  offersFaithful,
  type ErrorAction,
  type PanelJob,
  type PanelRender,
  type PanelScene,
} from '../src/protocol/messages';
import { button, el, link } from './dom';

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

/** Video elements by URI, reused across redraws (a new element would restart the clip). */
let videos = new Map<string, HTMLVideoElement>();
/** Videos used by the redraw in progress; the others are dropped when it ends. */
let nextVideos = new Map<string, HTMLVideoElement>();

/** Starts a redraw: all videos (a full one), or all but one clip's (that clip only is redrawn). */
export function beginVideos(keepAllBut?: PanelScene): void {
  nextVideos = keepAllBut
    ? new Map([...videos].filter(([uri]) => !keepAllBut.renders.some((r) => r.videoUri === uri)))
    : new Map();
}
export function endVideos(): void {
  videos = nextVideos;
}
/** A partial redraw keeps every video it does not redraw. */
export function keepVideos(): void {
  nextVideos = new Map(videos);
}

function rendersView(s: PanelScene): HTMLElement {
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
  return list;
}

/** The clip's render side: resolved settings, notices, Render/Cancel, progress or error, renders. */
export function clipStatus(s: PanelScene, withText: boolean): HTMLElement {
  const running = s.job && (s.job.state === 'queued' || s.job.state === 'running');
  const renderButtons = s.sceneId
    ? [
        button('Render shot', 'render', { scene: s.id }, { icon: 'play' }),
        button('Render scene', 'render', { scene: s.sceneId }, { secondary: true, icon: 'run-all' }),
      ]
    : [button('Render', 'render', { scene: s.id }, { icon: 'play' })];
  const body = el(
    'div',
    { class: 'clip-status', 'data-status': s.id },
    ...(withText ? [el('h2', {}, s.title)] : []),
    el(
      'div',
      { class: 'meta' },
      `${s.id} · ${s.width}×${s.height} · ${s.numFrames} frames @ ${s.fps} fps · seed ${s.seed} · ${s.providerId}`,
    ),
    ...(withText ? [el('div', { class: 'prompt' }, s.prompt)] : []),
    withText && s.negativePrompt ? el('div', { class: 'meta' }, `Avoid: ${s.negativePrompt}`) : undefined,
  );
  for (const n of s.notices) {
    const warn = el('div', { class: 'warn', 'data-code': n.code }, n.message);
    if (n.offerFaithful)
      warn.append(' ', link('Use the keyframe-faithful model', 'faithful', { scene: s.id, code: n.code }));
    body.append(warn);
  }
  body.append(
    el(
      'div',
      { class: 'actions' },
      ...(running
        ? [button('Cancel', 'cancel', { jobId: s.job?.jobId ?? '' }, { secondary: true, icon: 'debug-stop' })]
        : renderButtons),
    ),
  );
  const job = s.job ? jobView(s, s.job) : undefined;
  if (job) body.append(job);
  if (s.renders.length) body.append(rendersView(s));
  return body;
}

/** One keyframe (start or end): the image, or an empty box; with `drop`, a labelled drop target. */
function keyframeBox(uri: string | undefined, alt: string, which: 'start' | 'end', drop?: string): HTMLElement {
  const img = uri
    ? el('img', { class: `thumb${which === 'end' ? ' end' : ''}`, src: uri, alt })
    : el('div', {
        class: `thumb empty${which === 'end' ? ' end' : ''}`,
        role: 'img',
        'aria-label': `No ${which} keyframe`,
      });
  if (drop === undefined) return img;
  const label = `Drop an image here for the ${which} keyframe`;
  const choose = link('Choose…', 'chooseKeyframe', { item: drop, which });
  const owner = alt.replace(/^.* of /, '');
  choose.setAttribute('aria-label', `Choose an image for the ${which} keyframe of ${owner}`);
  const generate = link('Generate…', 'generateKeyframe', { item: drop, which });
  generate.setAttribute('aria-label', `Generate the ${which} keyframe of ${owner} from its prompt`);
  return el(
    'div',
    { class: 'dropzone', 'data-drop': which, 'data-item': drop, title: label },
    img,
    el('span', { class: 'drop-hint' }, `${which === 'start' ? 'Start' : 'End'} keyframe · `, choose, ' · ', generate),
  );
}

/** The clip's start (and end) keyframes; with `drop` (the item's key), each is a drop target. */
export function keyframeThumbs(s: PanelScene | undefined, title: string, drop?: string): HTMLElement {
  const start = keyframeBox(
    s?.keyframeUri,
    `${s?.endKeyframeUri ? 'Start keyframe' : 'Keyframe'} of ${title}`,
    'start',
    drop,
  );
  if (!s?.endKeyframeUri && drop === undefined) return start;
  return el(
    'div',
    { class: 'bookends' },
    start,
    keyframeBox(s?.endKeyframeUri, `End keyframe of ${title}`, 'end', drop),
  );
}
