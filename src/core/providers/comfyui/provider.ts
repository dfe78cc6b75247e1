/**
 * The `comfyui-local` provider: upload the keyframe, fill the workflow, queue it with our
 * client_id, follow /ws for progress (reconnecting and reconciling with /history when the socket
 * drops), fetch the video through /view. Cancel reaches the server: /interrupt for our running
 * prompt, a queue delete for a pending one.
 */
import { endKeyframeWarnings, planWorkflow, type WorkflowPlan } from './bookends';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import WebSocket from 'ws';
import { StvError, isStvError, toStvError } from '../../errors';
import type { ProviderHealth, RenderOptions, RenderProgress, RenderRequest, RenderResult, RenderStage, VideoProvider } from '../types';
import { ComfyClient, safeOutputName, type ObjectInfo } from './client';
import { MODEL_FOLDERS, fillWorkflow, nodeTypes, type Mapping, type Workflow } from './workflow';
import { WsMessageSchema, type HistoryEntry, type SavedFile } from './wire';

export interface ComfyUIProviderOptions {
  url: string;
  clientId?: string;
  workflow: Workflow;
  mapping: Mapping;
  /** Name shown in messages, e.g. "built-in Wan 2.2 TI2V 5B" or the workflow file. */
  workflowName: string;
  timeoutMs: number;
  /** How often to check /history while the socket is down (and as a safety net while it is up). */
  pollIntervalMs?: number;
  /** How long ComfyUI may stay unreachable during a render before it is reported as gone. */
  serverLostMs?: number;
  /** The workflow for shots with an end keyframe when `workflow` takes no end image (the built-in bookend one). */
  bookendWorkflow?: WorkflowPlan;
}

const VIDEO_EXT = /\.(mp4|m4v|mov|webm|mkv)$/i;
const STAGE_BY_CLASS: Record<string, RenderStage> = { KSampler: 'denoising', KSamplerAdvanced: 'denoising', SamplerCustom: 'denoising', SamplerCustomAdvanced: 'denoising', VAEDecode: 'decoding', VAEDecodeTiled: 'decoding', CreateVideo: 'encoding', SaveVideo: 'saving', SaveWEBM: 'saving', CLIPTextEncode: 'encoding-prompt' };
const LOW_VRAM_MB = 1536;

/** The MP4 (or other video) a history entry's outputs name, whichever shape this ComfyUI uses. */
export function pickVideo(entry: HistoryEntry): SavedFile | undefined {
  const candidates: SavedFile[] = [];
  for (const out of Object.values(entry.outputs)) {
    for (const f of out.videos ?? []) candidates.push(f);
    for (const f of out.gifs ?? []) candidates.push(f);
    for (const f of out.images ?? []) if (out.animated?.some(Boolean) || VIDEO_EXT.test(f.filename)) candidates.push(f);
  }
  // Saved outputs first; a preview node's temp file only when nothing was saved. Never inputs.
  const videos = candidates.filter((f) => VIDEO_EXT.test(f.filename) && f.type === 'output');
  const previews = candidates.filter((f) => VIDEO_EXT.test(f.filename) && f.type === 'temp');
  return videos.find((f) => /\.mp4$/i.test(f.filename)) ?? videos[0] ?? previews.find((f) => /\.mp4$/i.test(f.filename)) ?? previews[0];
}

function comboOptions(spec: unknown): string[] | undefined {
  if (!Array.isArray(spec)) return undefined;
  if (Array.isArray(spec[0])) return spec[0].filter((x): x is string => typeof x === 'string');
  if (spec[0] === 'COMBO' && spec[1] && typeof spec[1] === 'object') {
    const opts = (spec[1] as { options?: unknown }).options;
    return Array.isArray(opts) ? opts.filter((x): x is string => typeof x === 'string') : undefined;
  }
  return undefined;
}

/** Node types and model files the workflow needs that this ComfyUI lacks, named for people. */
export function missingRequirements(workflow: Workflow, mapping: Mapping, info: ObjectInfo): string[] {
  const missingTypes = nodeTypes(workflow).filter((t) => !(t in info));
  const out = missingTypes.map((t) => `node type ${t} (a custom node that is not installed)`);
  for (const [nodeId, node] of Object.entries(workflow)) {
    const folder = MODEL_FOLDERS[node.class_type];
    const spec = info[node.class_type]?.input;
    if (!folder || !spec) continue;
    for (const [input, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string' || mapping[`${nodeId}:${input}`]) continue;
      const options = comboOptions(spec.required?.[input] ?? spec.optional?.[input]);
      if (options && !options.includes(value)) out.push(`model file ${value} (node ${nodeId} ${node.class_type}: put it in ComfyUI/${folder})`);
    }
  }
  return out;
}

export class ComfyUIProvider implements VideoProvider {
  readonly id = 'comfyui-local' as const;
  readonly endpoint: string;
  readonly client: ComfyClient;
  /** Sent with every prompt and on /ws; ComfyUI routes the prompt's messages to it. */
  readonly clientId: string;
  private infoCache?: { at: number; info: ObjectInfo };

  constructor(private readonly opts: ComfyUIProviderOptions) {
    this.client = new ComfyClient(opts.url);
    this.endpoint = this.client.base;
    this.clientId = opts.clientId || `scene-to-video-${randomUUID()}`;
  }

  private async objectInfo(signal?: AbortSignal): Promise<ObjectInfo> {
    if (this.infoCache && Date.now() - this.infoCache.at < 60_000) return this.infoCache.info;
    const info = await this.client.objectInfo(signal);
    this.infoCache = { at: Date.now(), info };
    return info;
  }

  async health(signal?: AbortSignal): Promise<ProviderHealth> {
    const checkedAt = new Date().toISOString();
    const base = { provider: this.id, endpoint: this.endpoint, checkedAt, model: this.opts.workflowName, followsKeyframe: Object.values(this.opts.mapping).includes('keyframe_image'), followsEndKeyframe: !!this.opts.bookendWorkflow || Object.values(this.opts.mapping).includes('end_image') };
    try {
      const stats = await this.client.systemStats(signal);
      const dev = stats.devices[0];
      const gpu = dev ? { gpuName: dev.name, vramFreeMb: Math.round(dev.vram_free / 2 ** 20), vramTotalMb: Math.round(dev.vram_total / 2 ** 20) } : {};
      const gb = (n: number) => (n / 2 ** 30).toFixed(1);
      // With --cpu, /system_stats reports the CPU and RAM in the vram fields.
      const gpuText = !dev ? '' : dev.type === 'cpu' ? ` · CPU only (no GPU), ${gb(dev.vram_free)} of ${gb(dev.vram_total)} GB RAM free` : ` · ${dev.name.replace(/^cuda:\d+ /, '')}, ${gb(dev.vram_free)} of ${gb(dev.vram_total)} GB free`;
      const version = stats.system.comfyui_version ? ` ${stats.system.comfyui_version}` : '';
      const missing = missingRequirements(this.opts.workflow, this.opts.mapping, await this.objectInfo(signal));
      if (missing.length) {
        const message = `ComfyUI lacks what the ${this.opts.workflowName} workflow needs: ${missing.join('; ')}.`;
        return { ...base, ...gpu, state: 'degraded', summary: message, error: { code: 'MISSING_NODES', message, hint: 'See docs/comfyui.md for the model files and where they go.' } };
      }
      const lowVram = dev && dev.type !== 'cpu' && dev.vram_free / 2 ** 20 < LOW_VRAM_MB;
      // Only shots with an end keyframe need the bookend workflow: what it lacks is said, not degraded.
      const b = this.opts.bookendWorkflow;
      const bookendMissing = b ? missingRequirements(b.workflow, b.mapping, await this.objectInfo(signal)) : [];
      const bookendNote = bookendMissing.length ? ` · shots with an end keyframe need the ${b?.workflowName} workflow, which lacks: ${bookendMissing.join('; ')}` : '';
      return { ...base, ...gpu, state: lowVram ? 'degraded' : 'ok', summary: `ComfyUI${version}${gpuText}${lowVram ? ' (little free VRAM: close other GPU programs)' : ''}${bookendNote}` };
    } catch (e) {
      const err = toStvError(e, 'UNREACHABLE');
      return { ...base, state: 'down', summary: err.message, error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
    }
  }

  async render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult> {
    const started = Date.now();
    const { signal } = opts;
    // A named workflow, the built-in bookend one for an end keyframe, or the configured one (bookends.ts).
    const plan = await planWorkflow(req, this.opts, this.opts.bookendWorkflow);
    const needsKeyframe = Object.values(plan.mapping).includes('keyframe_image');
    const endWarnings = endKeyframeWarnings(req, plan);
    opts.onProgress({ stage: 'uploading', fraction: 0, ...(endWarnings[0] ? { message: endWarnings[0].message } : {}) });
    let keyframeName: string | undefined;
    if (needsKeyframe && req.keyframePath) {
      try {
        keyframeName = await this.client.uploadImage(req.keyframePath, signal, req.sceneId);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StvError('KEYFRAME_MISSING', `Cannot read the keyframe ${req.keyframePath}.`, 'Fix the scene\'s "keyframe" path.');
        throw e;
      }
    }
    let endKeyframeName: string | undefined;
    if (req.endKeyframePath && endWarnings.length === 0) {
      try {
        endKeyframeName = await this.client.uploadImage(req.endKeyframePath, signal, `${req.sceneId}-end`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StvError('KEYFRAME_MISSING', `Cannot read the end keyframe ${req.endKeyframePath}.`, 'Fix the shot\'s "keyframes.end" path.');
        throw e;
      }
    }
    const workflow = fillWorkflow(plan.workflow, plan.mapping, { request: req, keyframeName, endKeyframeName, filenamePrefix: `scene-to-video/${req.sceneId}` });
    const follower = new PromptFollower(this.client, this.wsUrl(), this.clientId, opts, workflow, { pollIntervalMs: this.opts.pollIntervalMs ?? 3000, serverLostMs: this.opts.serverLostMs ?? 60_000 });
    await follower.connect(); // before queueing, so no message for our prompt is missed
    try {
      if (signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
      // Not aborted by the signal: once the server may have the prompt, cancelling is the
      // follower's job (delete or interrupt it there), not just dropping the connection.
      const ourId = randomUUID();
      let promptId: string;
      try {
        promptId = await this.client.queuePrompt(workflow, this.clientId, ourId);
      } catch (e) {
        if (isStvError(e) && (e.code === 'TIMEOUT' || e.code === 'UNREACHABLE')) await cancelOnServer(this.client, ourId).catch(() => undefined);
        throw e;
      }
      const entry = await follower.follow(promptId, this.opts.timeoutMs - (Date.now() - started));
      const file = pickVideo(entry);
      if (!file)
        throw new StvError('BAD_RESPONSE', `The workflow finished but saved no video (outputs: ${Object.keys(entry.outputs).join(', ') || 'none'}).`, 'The workflow must end in SaveVideo (or another node that saves an MP4).');
      safeOutputName(file);
      opts.onProgress({ stage: 'downloading', fraction: 0.99 });
      const dest = path.join(opts.scratchDir, `.stv-comfy-${randomUUID()}${path.extname(file.filename)}`);
      const t0 = Date.now();
      await this.client.download(file, dest, signal);
      return {
        videoPath: dest,
        videoIsTemporary: true,
        seed: req.seed,
        width: req.width,
        height: req.height,
        numFrames: req.numFrames,
        fps: req.fps,
        model: plan.workflowName,
        backend: 'comfyui',
        warnings: [
          ...endWarnings,
          ...(needsKeyframe || !req.keyframePath ? [] : [{ code: 'KEYFRAME_IGNORED' as const, message: `The ${plan.workflowName} workflow has no keyframe input in its mapping: the keyframe was not used.` }]),
          ...(Object.values(plan.mapping).includes('prompt') ? [] : [{ code: 'OTHER' as const, message: `The ${plan.workflowName} workflow has no prompt input in its mapping: the prompt was not used.` }]),
        ],
        timings: { ...follower.timings(), downloadMs: Date.now() - t0, totalMs: Date.now() - started },
        server: { comfyui: this.endpoint, promptId, clientId: this.clientId, output: file },
      };
    } finally {
      follower.close();
    }
  }

  private wsUrl(): string {
    const u = new URL(this.endpoint);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = `${u.pathname.replace(/\/$/, '')}/ws`;
    u.search = `clientId=${encodeURIComponent(this.clientId)}`;
    return u.toString();
  }
}

/**
 * Asks ComfyUI to drop a prompt: deleted while it waits in the queue, interrupted while it runs
 * (only then, since older servers interrupt whatever runs). Says where the prompt was.
 */
export async function cancelOnServer(client: ComfyClient, promptId: string): Promise<'deleted' | 'interrupted' | 'absent'> {
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

/** Sampler nodes report denoising steps through `progress`; helper nodes like KSamplerSelect do not. */
const isSamplerClass = (cls: string) => /sampler/i.test(cls) && !/select|scheduler|sigmas|guider/i.test(cls);

interface FollowerTuning {
  pollIntervalMs: number;
  serverLostMs: number;
}

/** Follows one prompt over the WebSocket, reconnecting; /history is the source of truth on gaps. */
class PromptFollower {
  private ws?: WebSocket;
  private closed = false;
  private onMessage?: (type: string, data: Record<string, unknown>) => void;
  private reconnects = 0;
  private fraction = 0;
  private stage: RenderStage = 'queued';
  private stepStart?: { at: number; step: number };
  /** Last time ComfyUI said anything (socket message or HTTP answer). */
  private lastContact = Date.now();
  private queuedAt?: number;
  private startedAt?: number;
  private endedAt?: number;
  /** Nodes already executed or served from ComfyUI's cache, for progress in sampler-free workflows. */
  private readonly done = new Set<string>();
  private current?: string;
  private readonly nodeCount: number;
  private readonly hasSampler: boolean;

  constructor(
    private readonly client: ComfyClient,
    private readonly url: string,
    private readonly clientId: string,
    private readonly opts: RenderOptions,
    private readonly workflow: Workflow,
    private readonly tuning: FollowerTuning,
  ) {
    this.nodeCount = Math.max(1, Object.keys(workflow).length);
    this.hasSampler = Object.values(workflow).some((n) => isSamplerClass(n.class_type));
  }

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
        if (msg.success) this.onMessage?.(msg.data.type, msg.data.data);
      });
      const retry = () => {
        if (!opened) resolve(); // no socket: polling /history still finishes the job
        if (this.closed) return;
        const delay = Math.min(5000, 250 * 2 ** this.reconnects++);
        setTimeout(() => {
          if (!this.closed) void this.connect().then(() => this.reconcile());
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

  private report(p: RenderProgress): void {
    this.fraction = Math.max(this.fraction, p.fraction);
    this.stage = p.stage;
    this.opts.onProgress({ ...p, fraction: this.fraction });
  }

  /** Share of the workflow's nodes done, for workflows without a sampler (no step progress). */
  private nodeFraction(partOfCurrent = 0): number {
    return Math.min(0.95, 0.05 + (0.9 * (this.done.size + partOfCurrent)) / this.nodeCount);
  }

  private nodeLabel(node: string): string {
    const n = this.workflow[node];
    return `node ${node} (${n?._meta?.title && n._meta.title !== n.class_type ? `${n._meta.title}, ` : ''}${n?.class_type ?? '?'})`;
  }

  private reconcileNow?: () => void;
  private reconcile(): void {
    this.reconcileNow?.();
  }

  follow(promptId: string, timeoutMs: number): Promise<HistoryEntry> {
    const { signal } = this.opts;
    this.queuedAt = Date.now();
    this.lastContact = Date.now();
    this.report({ stage: 'queued', fraction: 0.01 });
    return new Promise<HistoryEntry>((resolve, reject) => {
      let settled = false;
      let cancelling = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.endedAt = Date.now();
        timers.forEach(clearTimeout);
        clearInterval(poller);
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const later = (ms: number, fn: () => void) => {
        if (!settled) timers.push(setTimeout(fn, ms));
      };
      const cancelled = (message: string) => new StvError('CANCELLED', message);

      /** Settles from a history entry; an entry exists only once ComfyUI is done with the prompt. */
      const judge = (entry: HistoryEntry) => {
        if (entry.status?.status_str === 'error') {
          const messages = entry.status.messages ?? [];
          const errMsg = messages.find(([t]) => t === 'execution_error')?.[1] as Record<string, unknown> | undefined;
          if (errMsg && !signal.aborted) finish(() => reject(executionError(errMsg, this.workflow)));
          else finish(() => reject(cancelled(signal.aborted ? 'The render was cancelled; ComfyUI stopped the prompt.' : 'ComfyUI interrupted the prompt (someone pressed Cancel in ComfyUI?).')));
        } else if (signal.aborted) {
          finish(() => reject(cancelled('The render was cancelled; ComfyUI had already finished it, so its video was discarded.')));
        } else finish(() => resolve(entry));
      };

      let badResponses = 0;
      const fromHistory = async (): Promise<void> => {
        if (settled) return;
        let entry: HistoryEntry | undefined;
        try {
          entry = await this.client.history(promptId);
          badResponses = 0;
          this.lastContact = Date.now();
        } catch (e) {
          const err = toStvError(e, 'UNREACHABLE');
          // Garbage three times running is not a hiccup: a proxy or another service answers.
          if (err.code === 'BAD_RESPONSE' && ++badResponses >= 3) finish(() => reject(err));
          else if (err.code !== 'BAD_RESPONSE' && Date.now() - this.lastContact > this.tuning.serverLostMs)
            finish(() =>
              reject(
                new StvError(
                  'UNREACHABLE',
                  `${this.client.what} stopped answering during the render (nothing for ${Math.round((Date.now() - this.lastContact) / 1000)} s): ${err.message}`,
                  "ComfyUI may have crashed or been restarted (see its console). Start it again, then render again.",
                ),
              ),
            );
          return;
        }
        if (settled) return;
        if (entry) return judge(entry);
        if (cancelling) return;
        // Not in the history: it must still be queued or running, or ComfyUI lost it (restart).
        const q = await this.client.queue().catch(() => undefined);
        if (settled || !q || q.running.includes(promptId) || q.pending.includes(promptId)) return;
        const again = await this.client.history(promptId).catch(() => undefined); // it may have just finished
        if (settled) return;
        if (again) return judge(again);
        finish(() =>
          reject(new StvError('NOT_FOUND', `${this.client.what} no longer knows the prompt ${promptId}: it is neither queued, running nor in its history.`, 'ComfyUI was probably restarted, or its queue or history was cleared. Render the scene again.')),
        );
      };

      const onAbort = () => {
        if (cancelling || settled) return;
        cancelling = true;
        cancelOnServer(this.client, promptId).then(
          (where) => {
            if (where === 'deleted') finish(() => reject(cancelled("The render was cancelled; it was removed from ComfyUI's queue before it started.")));
            else if (where === 'absent') void fromHistory().then(() => finish(() => reject(cancelled('The render was cancelled.'))));
            // execution_interrupted normally settles this first; a node that does not check for
            // interrupts (a long video encode) may finish instead, and is then discarded.
            else later(10_000, () => finish(() => reject(cancelled('The render was cancelled; ComfyUI was asked to stop it but has not confirmed yet.'))));
          },
          () => finish(() => reject(cancelled('The render was cancelled, but ComfyUI did not answer the cancel, so it may still finish the prompt.')))
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      later(Math.max(0, timeoutMs), () => {
        if (!cancelling) {
          cancelling = true;
          void cancelOnServer(this.client, promptId).catch(() => undefined); // the server stops too
        }
        finish(() => reject(new StvError('TIMEOUT', `ComfyUI did not finish the render within ${Math.round(timeoutMs / 1000)} s; it was stopped.`, "Raise comfyUI.timeoutSeconds for long renders, or check ComfyUI's console.")));
      });
      // History is the source of truth whenever messages may have been missed.
      let ticks = 0;
      const poller = setInterval(() => {
        ticks++;
        // Every tick while the socket is down; every fifth as a safety net while it is up.
        if (!settled && (this.ws?.readyState !== WebSocket.OPEN || ticks % 5 === 0)) void fromHistory();
      }, this.tuning.pollIntervalMs);
      this.reconcileNow = () => void fromHistory();
      this.onMessage = (type, data) => {
        if (type === 'status') {
          const remaining = (data.status as { exec_info?: { queue_remaining?: number } } | undefined)?.exec_info?.queue_remaining;
          if (this.fraction < 0.02 && typeof remaining === 'number') this.report({ stage: 'queued', fraction: 0.01, queuePosition: remaining });
          return;
        }
        if (data.prompt_id !== promptId || settled) return;
        switch (type) {
          case 'execution_start':
            this.startedAt = Date.now();
            this.report({ stage: 'loading', fraction: 0.02 });
            break;
          case 'execution_cached':
            for (const n of Array.isArray(data.nodes) ? data.nodes : []) if (typeof n === 'string') this.done.add(n);
            break;
          case 'executing': {
            const node = data.node as string | null | undefined;
            if (this.current) this.done.add(this.current);
            if (node === null || node === undefined) {
              void fromHistory(); // the end of the prompt (history is written just before)
              break;
            }
            this.current = node;
            const cls = this.workflow[node]?.class_type ?? '';
            const stage = STAGE_BY_CLASS[cls] ?? (isSamplerClass(cls) ? 'denoising' : /Loader|LoadImage/.test(cls) ? 'loading' : undefined);
            const message = this.nodeLabel(node);
            if (!this.hasSampler) this.report({ stage: stage ?? this.stage, fraction: this.nodeFraction(), message });
            else if (stage === 'decoding') this.report({ stage, fraction: 0.92, message });
            else if (stage === 'encoding' || stage === 'saving') this.report({ stage, fraction: 0.95, message });
            else this.report({ stage: stage ?? this.stage, fraction: Math.max(this.fraction, 0.05), message });
            break;
          }
          case 'progress': {
            const value = Number(data.value);
            const max = Number(data.max) || 1;
            const node = typeof data.node === 'string' ? data.node : this.current;
            const cls = (node && this.workflow[node]?.class_type) || '';
            if (this.hasSampler && isSamplerClass(cls)) {
              const now = Date.now();
              if (!this.stepStart || value < this.stepStart.step) this.stepStart = { at: now, step: value };
              const perStep = value > this.stepStart.step ? (now - this.stepStart.at) / (value - this.stepStart.step) : undefined;
              this.report({ stage: 'denoising', fraction: 0.1 + 0.8 * (value / max), step: value, totalSteps: max, ...(perStep ? { etaMs: Math.round(perStep * (max - value)) } : {}) });
            } else {
              // Progress of another node (a tiled decode, an upscale): say so, do not call it denoising.
              this.report({ stage: this.stage, fraction: this.hasSampler ? this.fraction : this.nodeFraction(Math.min(1, value / max)), step: value, totalSteps: max, ...(node ? { message: this.nodeLabel(node) } : {}) });
            }
            break;
          }
          case 'execution_success':
            void fromHistory().then(() => later(500, () => void fromHistory()));
            break;
          case 'execution_error':
            if (signal.aborted) finish(() => reject(cancelled('The render was cancelled; ComfyUI stopped the prompt.')));
            else finish(() => reject(executionError(data, this.workflow)));
            break;
          case 'execution_interrupted':
            finish(() => reject(cancelled(signal.aborted ? 'The render was cancelled; ComfyUI stopped the prompt.' : 'ComfyUI interrupted the prompt (someone pressed Cancel in ComfyUI?).')));
            break;
        }
      };
      if (signal.aborted) onAbort();
      // The prompt may already be done (a tiny workflow on a fast server).
      void fromHistory();
    });
  }
}

function executionError(data: Record<string, unknown>, workflow: Workflow): StvError {
  const node = String(data.node_id ?? '?');
  const type = String(data.node_type ?? workflow[node]?.class_type ?? '?');
  const msg = String(data.exception_message ?? 'unknown error').trim();
  const excType = String(data.exception_type ?? '');
  if (/out of memory|OutOfMemoryError/i.test(`${excType} ${msg}`))
    return new StvError('CUDA_OOM', `ComfyUI ran out of GPU memory in node ${node} (${type}).`, 'Render fewer frames or a smaller size, close other GPU programs, or start ComfyUI with --lowvram.');
  return new StvError('EXECUTION_ERROR', `ComfyUI failed in node ${node} (${type}): ${excType ? `${excType}: ` : ''}${msg}`, 'See ComfyUI\'s console for the traceback.');
}
