/**
 * One clip's render side in the editor: its resolved settings, the warnings it deserves before it
 * renders, Render / Cancel, progress, errors with their fixing actions, plus its keyframes, which
 * are also where an image is dropped. Its renders are listed once, as its takes (webview/takes.ts,
 * which keeps a playing <video> across redraws).
 */
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { type ErrorAction, type PanelJob, type PanelScene } from '../src/protocol/messages';
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

/** The clip's render side: resolved settings, notices, Render/Cancel, progress or error (its renders are its takes). */
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
