/**
 * Follows one queued ComfyUI prompt to its end: progress from /ws, /history as the source of truth
 * whenever messages may have been missed, cancel on the server, and a deadline.
 *
 * An explicit state machine. The prompt is `submitted` (queued by us, not started), `running`,
 * `cancelling` (the user cancelled; the server is being asked to drop it) or `settled` (the
 * render's promise is resolved or rejected; every later event is ignored). `TRANSITIONS` is the
 * whole table; `PromptFollower` has one handler per event source (socket, history poll, abort
 * signal, cancel answer, deadline) and moves only through `move()`, which consults the table.
 */
import WebSocket from 'ws';
import { StvError, toStvError } from '../../errors';
import type { RenderOptions, RenderProgress, RenderStage } from '../types';
import type { ComfyClient } from './client';
import { WsMessageSchema, type HistoryEntry } from './wire';
import type { Workflow } from './workflow';

export type FollowState = 'submitted' | 'running' | 'cancelling' | 'settled';

/**
 * What can happen to a prompt, whatever source says so:
 * - `started`: execution_start for our prompt;
 * - `finished` / `failed` / `interrupted`: its end, from the socket or from /history (or a failure
 *   to follow it: the server lost, the prompt forgotten, garbage answers);
 * - `abort`: the user cancelled; `cancel-done`: the server has dealt with the cancel (or not
 *   answered it); `deadline`: comfyUI.timeoutSeconds ran out.
 */
export type FollowEvent = 'started' | 'finished' | 'failed' | 'interrupted' | 'abort' | 'cancel-done' | 'deadline';

/** state → event → next state. An event a state does not list leaves it where it is. */
export const TRANSITIONS: Readonly<Record<FollowState, Partial<Record<FollowEvent, FollowState>>>> = {
  submitted: {
    started: 'running',
    finished: 'settled',
    failed: 'settled',
    interrupted: 'settled',
    abort: 'cancelling',
    deadline: 'settled',
  },
  running: { finished: 'settled', failed: 'settled', interrupted: 'settled', abort: 'cancelling', deadline: 'settled' },
  cancelling: {
    finished: 'settled',
    failed: 'settled',
    interrupted: 'settled',
    'cancel-done': 'settled',
    deadline: 'settled',
  },
  settled: {},
};

export function nextState(state: FollowState, event: FollowEvent): FollowState {
  return TRANSITIONS[state][event] ?? state;
}

export interface FollowerTuning {
  pollIntervalMs: number;
  serverLostMs: number;
  /** How long a cancel waits for ComfyUI to confirm an interrupt before it settles anyway. */
  interruptGraceMs?: number;
  /** A line per step of the render, for the extension's log. */
  log?: (line: string) => void;
}

const STAGE_BY_CLASS: Record<string, RenderStage> = {
  KSampler: 'denoising',
  KSamplerAdvanced: 'denoising',
  SamplerCustom: 'denoising',
  SamplerCustomAdvanced: 'denoising',
  VAEDecode: 'decoding',
  VAEDecodeTiled: 'decoding',
  CreateVideo: 'encoding',
  SaveVideo: 'saving',
  SaveWEBM: 'saving',
  CLIPTextEncode: 'encoding-prompt',
};

/** Sampler nodes report denoising steps through `progress`; helper nodes like KSamplerSelect do not. */
export const isSamplerClass = (cls: string) => /sampler/i.test(cls) && !/select|scheduler|sigmas|guider/i.test(cls);

/**
 * Asks ComfyUI to drop a prompt: deleted while it waits in the queue, interrupted while it runs
 * (only then, since older servers interrupt whatever runs). Says where the prompt was.
 */
export async function cancelOnServer(
  client: ComfyClient,
  promptId: string,
): Promise<'deleted' | 'interrupted' | 'absent'> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const q = await client.queue();
    if (q.pending.includes(promptId)) {
      await client.deleteQueued(promptId);
      const after = await client.queue();
      if (!after.pending.includes(promptId) && !after.running.includes(promptId)) return 'deleted';
      continue; // it started in between: interrupt it on the next pass
    }
    if (q.running.includes(promptId)) {
      await client.interrupt(promptId);
      return 'interrupted';
    }
    return 'absent';
  }
  return 'absent';
}

export function executionError(data: Record<string, unknown>, workflow: Workflow): StvError {
  const node = String(data.node_id ?? '?');
  const type = String(data.node_type ?? workflow[node]?.class_type ?? '?');
  const msg = String(data.exception_message ?? 'unknown error').trim();
  const excType = String(data.exception_type ?? '');
  if (/out of memory|OutOfMemoryError/i.test(`${excType} ${msg}`))
    return new StvError(
      'CUDA_OOM',
      `ComfyUI ran out of GPU memory in node ${node} (${type}).`,
      'Render fewer frames or a smaller size, close other GPU programs, or start ComfyUI with --lowvram.',
    );
  return new StvError(
    'EXECUTION_ERROR',
    `ComfyUI failed in node ${node} (${type}): ${excType ? `${excType}: ` : ''}${msg}`,
    "See ComfyUI's console for the traceback.",
  );
}

const cancelled = (message: string) => new StvError('CANCELLED', message);

/** The cause of the NOT_FOUND a restarted server gives: it forgot our prompt (see isPromptForgotten). */
const PROMPT_FORGOTTEN = Object.freeze({ reason: 'ComfyUI forgot the prompt (restarted or cleared)' });

/**
 * Whether a render failed because ComfyUI forgot its prompt: the server went away and came back
 * empty. Told apart from other NOT_FOUNDs (a /view file cleaned up) by its cause, not its words.
 */
export function isPromptForgotten(e: unknown): boolean {
  return e instanceof StvError && e.code === 'NOT_FOUND' && e.cause === PROMPT_FORGOTTEN;
}

/** Turns ComfyUI's progress messages into our RenderProgress, monotonic. */
class ProgressTracker {
  fraction = 0;
  private stage: RenderStage = 'queued';
  private stepStart?: { at: number; step: number };
  /** Nodes already executed or served from ComfyUI's cache, for progress in sampler-free workflows. */
  private readonly done = new Set<string>();
  private current?: string;
  private readonly nodeCount: number;
  private readonly hasSampler: boolean;

  constructor(
    private readonly workflow: Workflow,
    private readonly onProgress: (p: RenderProgress) => void,
    private readonly log?: (line: string) => void,
  ) {
    this.nodeCount = Math.max(1, Object.keys(workflow).length);
    this.hasSampler = Object.values(workflow).some((n) => isSamplerClass(n.class_type));
  }

  report(p: RenderProgress): void {
    this.fraction = Math.max(this.fraction, p.fraction);
    // The log gets each change of stage, not each step (a long render sends hundreds).
    if (p.stage !== this.stage || (p.message && !p.step))
      this.log?.(`progress: ${p.stage} ${Math.round(this.fraction * 100)}%${p.message ? ` ${p.message}` : ''}`);
    this.stage = p.stage;
    this.onProgress({ ...p, fraction: this.fraction });
  }

  cached(nodes: unknown): void {
    for (const n of Array.isArray(nodes) ? nodes : []) if (typeof n === 'string') this.done.add(n);
  }

  /** An `executing` message for a node (not the end of the prompt). */
  executing(node: string): void {
    if (this.current) this.done.add(this.current);
    this.current = node;
    const cls = this.workflow[node]?.class_type ?? '';
    const stage =
      STAGE_BY_CLASS[cls] ?? (isSamplerClass(cls) ? 'denoising' : /Loader|LoadImage/.test(cls) ? 'loading' : undefined);
    const message = this.nodeLabel(node);
    if (!this.hasSampler) this.report({ stage: stage ?? this.stage, fraction: this.nodeFraction(), message });
    else if (stage === 'decoding') this.report({ stage, fraction: 0.92, message });
    else if (stage === 'encoding' || stage === 'saving') this.report({ stage, fraction: 0.95, message });
    else this.report({ stage: stage ?? this.stage, fraction: Math.max(this.fraction, 0.05), message });
  }

  /** `executing` with no node: the prompt's end. */
  ended(): void {
    if (this.current) this.done.add(this.current);
  }

  progress(data: Record<string, unknown>): void {
    const value = Number(data.value);
    const max = Number(data.max) || 1;
    const node = typeof data.node === 'string' ? data.node : this.current;
    const cls = (node && this.workflow[node]?.class_type) || '';
    if (this.hasSampler && isSamplerClass(cls)) {
      const now = Date.now();
      if (!this.stepStart || value < this.stepStart.step) this.stepStart = { at: now, step: value };
      const perStep =
        value > this.stepStart.step ? (now - this.stepStart.at) / (value - this.stepStart.step) : undefined;
      this.report({
        stage: 'denoising',
        fraction: 0.1 + 0.8 * (value / max),
        step: value,
        totalSteps: max,
        ...(perStep ? { etaMs: Math.round(perStep * (max - value)) } : {}),
      });
    } else {
      // Progress of another node (a tiled decode, an upscale): say so, do not call it denoising.
      const fraction = this.hasSampler ? this.fraction : this.nodeFraction(Math.min(1, value / max));
      this.report({
        stage: this.stage,
        fraction,
        step: value,
        totalSteps: max,
        ...(node ? { message: this.nodeLabel(node) } : {}),
      });
    }
  }

  /** Share of the workflow's nodes done, for workflows without a sampler (no step progress). */
  private nodeFraction(partOfCurrent = 0): number {
    return Math.min(0.95, 0.05 + (0.9 * (this.done.size + partOfCurrent)) / this.nodeCount);
  }

  private nodeLabel(node: string): string {
    const n = this.workflow[node];
    return `node ${node} (${n?._meta?.title && n._meta.title !== n.class_type ? `${n._meta.title}, ` : ''}${n?.class_type ?? '?'})`;
  }
}

/** Follows one prompt over the WebSocket, reconnecting; /history is the source of truth on gaps. */
export class PromptFollower {
  private ws?: WebSocket;
  private closed = false;
  private reconnects = 0;
  private state: FollowState = 'submitted';
  private promptId = '';
  private settle?: { resolve: (e: HistoryEntry) => void; reject: (e: StvError) => void };
  private readonly timers: NodeJS.Timeout[] = [];
  private poller?: NodeJS.Timeout;
  private ticks = 0;
  private badResponses = 0;
  /** Last time ComfyUI said anything (socket message or HTTP answer). */
  private lastContact = Date.now();
  private queuedAt?: number;
  private startedAt?: number;
  private endedAt?: number;
  private readonly progress: ProgressTracker;
  private readonly onAbortSignal = () => this.onAbort();

  constructor(
    private readonly client: ComfyClient,
    private readonly url: string,
    private readonly opts: RenderOptions,
    private readonly workflow: Workflow,
    private readonly tuning: FollowerTuning,
  ) {
    this.progress = new ProgressTracker(workflow, (p) => opts.onProgress(p), tuning.log);
  }

  /** Opens /ws; resolves once it is open, or at once if it cannot open (polling still works). */
  connect(): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url, { handshakeTimeout: 5000 });
      this.ws = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.reconnects = 0;
        this.lastContact = Date.now();
        resolve();
      });
      ws.on('message', (raw, isBinary) => {
        this.lastContact = Date.now();
        if (isBinary) return; // preview images
        let msg;
        try {
          msg = WsMessageSchema.safeParse(JSON.parse(raw.toString()));
        } catch {
          return;
        }
        if (msg.success) this.onSocketMessage(msg.data.type, msg.data.data);
      });
      const retry = () => {
        if (!opened) resolve(); // no socket: polling /history still finishes the job
        if (this.closed) return;
        const delay = Math.min(5000, 250 * 2 ** this.reconnects++);
        setTimeout(() => {
          if (!this.closed) void this.connect().then(() => this.onReconnected());
        }, delay);
      };
      ws.on('close', retry);
      ws.on('error', () => undefined); // 'close' follows
    });
  }

  close(): void {
    this.closed = true;
    this.ws?.removeAllListeners('close');
    this.ws?.close();
  }

  timings(): { queueMs?: number; generateMs?: number } {
    return {
      ...(this.queuedAt && this.startedAt ? { queueMs: this.startedAt - this.queuedAt } : {}),
      ...(this.startedAt && this.endedAt ? { generateMs: this.endedAt - this.startedAt } : {}),
    };
  }

  /** The state the follower is in; `settled` once the promise of follow() is decided. */
  get current(): FollowState {
    return this.state;
  }

  follow(promptId: string, timeoutMs: number): Promise<HistoryEntry> {
    this.promptId = promptId;
    this.queuedAt = Date.now();
    this.lastContact = Date.now();
    this.progress.report({ stage: 'queued', fraction: 0.01 });
    return new Promise<HistoryEntry>((resolve, reject) => {
      this.settle = { resolve, reject };
      const { signal } = this.opts;
      signal.addEventListener('abort', this.onAbortSignal, { once: true });
      this.later(Math.max(0, timeoutMs), () => this.onDeadline(timeoutMs));
      this.poller = setInterval(() => this.onPollTick(), this.tuning.pollIntervalMs);
      if (signal.aborted) this.onAbort();
      // The prompt may already be done (a tiny workflow on a fast server).
      void this.fromHistory();
    });
  }

  // ---- the one place the state changes ----------------------------------------------------

  /** Applies an event; when it settles the follower, `outcome` decides the promise. */
  private move(event: FollowEvent, outcome?: { entry: HistoryEntry } | { error: StvError }): void {
    const from = this.state;
    const to = nextState(from, event);
    if (to === from) return;
    this.state = to;
    this.tuning.log?.(`prompt ${this.promptId}: ${from} → ${to} (${event})`);
    if (to !== 'settled') return;
    this.endedAt = Date.now();
    this.timers.forEach(clearTimeout);
    clearInterval(this.poller);
    this.opts.signal.removeEventListener('abort', this.onAbortSignal);
    if (outcome && 'entry' in outcome) this.settle?.resolve(outcome.entry);
    else this.settle?.reject(outcome?.error ?? cancelled('The render was cancelled.'));
  }

  private get settled(): boolean {
    return this.state === 'settled';
  }

  private get cancelling(): boolean {
    return this.state === 'cancelling';
  }

  private later(ms: number, fn: () => void): void {
    if (!this.settled) this.timers.push(setTimeout(fn, ms));
  }

  // ---- event source: the WebSocket -------------------------------------------------------

  private onSocketMessage(type: string, data: Record<string, unknown>): void {
    if (type === 'status') {
      const remaining = (data.status as { exec_info?: { queue_remaining?: number } } | undefined)?.exec_info
        ?.queue_remaining;
      if (this.progress.fraction < 0.02 && typeof remaining === 'number')
        this.progress.report({ stage: 'queued', fraction: 0.01, queuePosition: remaining });
      return;
    }
    if (data.prompt_id !== this.promptId || this.settled || !this.settle) return;
    switch (type) {
      case 'execution_start':
        this.startedAt = Date.now();
        this.move('started');
        this.progress.report({ stage: 'loading', fraction: 0.02 });
        break;
      case 'execution_cached':
        this.progress.cached(data.nodes);
        break;
      case 'executing': {
        const node = data.node as string | null | undefined;
        if (node === null || node === undefined) {
          this.progress.ended();
          void this.fromHistory(); // the end of the prompt (history is written just before)
        } else this.progress.executing(node);
        break;
      }
      case 'progress':
        this.progress.progress(data);
        break;
      case 'execution_success':
        void this.fromHistory().then(() => this.later(500, () => void this.fromHistory()));
        break;
      case 'execution_error':
        if (this.cancelling)
          this.move('interrupted', { error: cancelled('The render was cancelled; ComfyUI stopped the prompt.') });
        else this.move('failed', { error: executionError(data, this.workflow) });
        break;
      case 'execution_interrupted':
        this.move('interrupted', { error: this.interruptedError() });
        break;
    }
  }

  private onReconnected(): void {
    void this.fromHistory();
  }

  // ---- event source: /history (polled, and asked whenever messages may have been missed) ---

  private onPollTick(): void {
    this.ticks++;
    // Every tick while the socket is down; every fifth as a safety net while it is up.
    if (!this.settled && (this.ws?.readyState !== WebSocket.OPEN || this.ticks % 5 === 0)) void this.fromHistory();
  }

  private async fromHistory(): Promise<void> {
    if (this.settled) return;
    let entry: HistoryEntry | undefined;
    try {
      entry = await this.client.history(this.promptId);
      this.badResponses = 0;
      this.lastContact = Date.now();
    } catch (e) {
      this.onHistoryFailure(toStvError(e, 'UNREACHABLE'));
      return;
    }
    if (this.settled) return;
    if (entry) return this.onHistoryEntry(entry);
    if (this.cancelling) return;
    // Not in the history: it must still be queued or running, or ComfyUI lost it (restart).
    const q = await this.client.queue().catch(() => undefined);
    if (this.settled || !q || q.running.includes(this.promptId) || q.pending.includes(this.promptId)) return;
    const again = await this.client.history(this.promptId).catch(() => undefined); // it may have just finished
    if (this.settled) return;
    if (again) return this.onHistoryEntry(again);
    const hint = 'ComfyUI was probably restarted, or its queue or history was cleared. Render the scene again.';
    this.move('failed', {
      error: new StvError(
        'NOT_FOUND',
        `${this.client.what} no longer knows the prompt ${this.promptId}: it is neither queued, running nor in its history.`,
        hint,
        { cause: PROMPT_FORGOTTEN },
      ),
    });
  }

  private onHistoryFailure(err: StvError): void {
    // Garbage three times running is not a hiccup: a proxy or another service answers.
    if (err.code === 'BAD_RESPONSE' && ++this.badResponses >= 3) this.move('failed', { error: err });
    else if (err.code !== 'BAD_RESPONSE' && Date.now() - this.lastContact > this.tuning.serverLostMs) {
      const silentS = Math.round((Date.now() - this.lastContact) / 1000);
      const message = `${this.client.what} stopped answering during the render (nothing for ${silentS} s): ${err.message}`;
      this.move('failed', {
        error: new StvError(
          'UNREACHABLE',
          message,
          'ComfyUI may have crashed or been restarted (see its console). Start it again, then render again.',
        ),
      });
    }
  }

  /** Settles from a history entry; an entry exists only once ComfyUI is done with the prompt. */
  private onHistoryEntry(entry: HistoryEntry): void {
    if (entry.status?.status_str === 'error') {
      const messages = entry.status.messages ?? [];
      const errMsg = messages.find(([t]) => t === 'execution_error')?.[1] as Record<string, unknown> | undefined;
      if (errMsg && !this.cancelling) this.move('failed', { error: executionError(errMsg, this.workflow) });
      else this.move('interrupted', { error: this.interruptedError() });
    } else if (this.cancelling) {
      this.move('finished', {
        error: cancelled('The render was cancelled; ComfyUI had already finished it, so its video was discarded.'),
      });
    } else this.move('finished', { entry });
  }

  private interruptedError(): StvError {
    return cancelled(
      this.cancelling
        ? 'The render was cancelled; ComfyUI stopped the prompt.'
        : 'ComfyUI interrupted the prompt (someone pressed Cancel in ComfyUI?).',
    );
  }

  // ---- event sources: the abort signal and the server's answer to our cancel ---------------

  private onAbort(): void {
    if (this.state !== 'submitted' && this.state !== 'running') return;
    this.move('abort');
    this.tuning.log?.(`prompt ${this.promptId}: asking ComfyUI to drop it`);
    cancelOnServer(this.client, this.promptId).then(
      (where) => this.onCancelAnswer(where),
      () =>
        this.move('cancel-done', {
          error: cancelled(
            'The render was cancelled, but ComfyUI did not answer the cancel, so it may still finish the prompt.',
          ),
        }),
    );
  }

  private onCancelAnswer(where: 'deleted' | 'interrupted' | 'absent'): void {
    this.tuning.log?.(`prompt ${this.promptId}: cancel answered (${where})`);
    if (where === 'deleted')
      this.move('cancel-done', {
        error: cancelled("The render was cancelled; it was removed from ComfyUI's queue before it started."),
      });
    else if (where === 'absent')
      void this.fromHistory().then(() => this.move('cancel-done', { error: cancelled('The render was cancelled.') }));
    // execution_interrupted normally settles this first; a node that does not check for
    // interrupts (a long video encode) may finish instead, and is then discarded.
    else
      this.later(this.tuning.interruptGraceMs ?? 10_000, () =>
        this.move('cancel-done', {
          error: cancelled('The render was cancelled; ComfyUI was asked to stop it but has not confirmed yet.'),
        }),
      );
  }

  // ---- event source: the deadline ----------------------------------------------------------

  private onDeadline(timeoutMs: number): void {
    if (this.settled) return;
    // The server stops too, unless a cancel is already on its way there.
    if (!this.cancelling) void cancelOnServer(this.client, this.promptId).catch(() => undefined);
    const message = `ComfyUI did not finish the render within ${Math.round(timeoutMs / 1000)} s; it was stopped.`;
    this.move('deadline', {
      error: new StvError(
        'TIMEOUT',
        message,
        "Raise comfyUI.timeoutSeconds for long renders, or check ComfyUI's console.",
      ),
    });
  }
}
