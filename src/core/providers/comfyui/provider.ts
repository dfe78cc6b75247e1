/**
 * The `comfyui-local` provider: upload the keyframe, fill the workflow, queue it with our
 * client_id, follow /ws for progress (reconnecting and reconciling with /history when the socket
 * drops), fetch the video through /view. Cancel reaches the server: /interrupt for our running
 * prompt, a queue delete for a pending one.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import WebSocket from 'ws';
import { StvError, toStvError } from '../../errors';
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
  const videos = candidates.filter((f) => VIDEO_EXT.test(f.filename) && f.type === 'output');
  return videos.find((f) => /\.mp4$/i.test(f.filename)) ?? videos[0];
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
  private readonly clientId: string;
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
    const base = { provider: this.id, endpoint: this.endpoint, checkedAt, model: this.opts.workflowName, followsKeyframe: Object.values(this.opts.mapping).includes('keyframe_image') };
    try {
      const stats = await this.client.systemStats(signal);
      const dev = stats.devices[0];
      const gpu = dev ? { gpuName: dev.name, vramFreeMb: Math.round(dev.vram_free / 2 ** 20), vramTotalMb: Math.round(dev.vram_total / 2 ** 20) } : {};
      const gpuText = dev ? ` · ${dev.name.replace(/^cuda:\d+ /, '')}, ${(dev.vram_free / 2 ** 30).toFixed(1)} of ${(dev.vram_total / 2 ** 30).toFixed(1)} GB free` : '';
      const version = stats.system.comfyui_version ? ` ${stats.system.comfyui_version}` : '';
      const missing = missingRequirements(this.opts.workflow, this.opts.mapping, await this.objectInfo(signal));
      if (missing.length) {
        const message = `ComfyUI lacks what the ${this.opts.workflowName} workflow needs: ${missing.join('; ')}.`;
        return { ...base, ...gpu, state: 'degraded', summary: message, error: { code: 'MISSING_NODES', message, hint: 'See docs/comfyui.md for the model files and where they go.' } };
      }
      const lowVram = dev && dev.type !== 'cpu' && dev.vram_free / 2 ** 20 < LOW_VRAM_MB;
      return { ...base, ...gpu, state: lowVram ? 'degraded' : 'ok', summary: `ComfyUI${version}${gpuText}${lowVram ? ' (little free VRAM: close other GPU programs)' : ''}` };
    } catch (e) {
      const err = toStvError(e, 'UNREACHABLE');
      return { ...base, state: 'down', summary: err.message, error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
    }
  }

  async render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult> {
    const started = Date.now();
    const { signal } = opts;
    const needsKeyframe = Object.values(this.opts.mapping).includes('keyframe_image');
    opts.onProgress({ stage: 'uploading', fraction: 0 });
    let keyframeName: string | undefined;
    if (needsKeyframe && req.keyframePath) {
      try {
        keyframeName = await this.client.uploadImage(req.keyframePath, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StvError('KEYFRAME_MISSING', `Cannot read the keyframe ${req.keyframePath}.`, 'Fix the scene\'s "keyframe" path.');
        throw e;
      }
    }
    const workflow = fillWorkflow(this.opts.workflow, this.opts.mapping, { request: req, keyframeName, filenamePrefix: `scene-to-video/${req.sceneId}` });
    const follower = new PromptFollower(this.client, this.wsUrl(), this.clientId, opts, this.opts.pollIntervalMs ?? 3000, workflow);
    await follower.connect(); // before queueing, so no message for our prompt is missed
    try {
      if (signal.aborted) throw new StvError('CANCELLED', 'The render was cancelled.');
      const promptId = await this.client.queuePrompt(workflow, this.clientId, signal);
      const entry = await follower.follow(promptId, this.opts.timeoutMs);
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
        model: this.opts.workflowName,
        backend: 'comfyui',
        warnings: [
          ...(needsKeyframe || !req.keyframePath ? [] : [{ code: 'KEYFRAME_IGNORED' as const, message: `The ${this.opts.workflowName} workflow has no keyframe input in its mapping: the keyframe was not used.` }]),
          ...(Object.values(this.opts.mapping).includes('prompt') ? [] : [{ code: 'OTHER' as const, message: `The ${this.opts.workflowName} workflow has no prompt input in its mapping: the prompt was not used.` }]),
        ],
        timings: { downloadMs: Date.now() - t0, totalMs: Date.now() - started },
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

/** Follows one prompt over the WebSocket, reconnecting; /history is the source of truth on gaps. */
class PromptFollower {
  private ws?: WebSocket;
  private closed = false;
  private promptId?: string;
  private onMessage?: (type: string, data: Record<string, unknown>) => void;
  private reconnects = 0;
  private fraction = 0;
  private stepStart?: { at: number; step: number };

  constructor(
    private readonly client: ComfyClient,
    private readonly url: string,
    private readonly clientId: string,
    private readonly opts: RenderOptions,
    private readonly pollIntervalMs: number,
    private readonly workflow: Workflow,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url, { handshakeTimeout: 5000 });
      this.ws = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.reconnects = 0;
        resolve();
      });
      ws.on('message', (raw, isBinary) => {
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

  private report(p: RenderProgress): void {
    this.fraction = Math.max(this.fraction, p.fraction);
    this.opts.onProgress({ ...p, fraction: this.fraction });
  }

  private reconcileNow?: () => void;
  private reconcile(): void {
    this.reconcileNow?.();
  }

  follow(promptId: string, timeoutMs: number): Promise<HistoryEntry> {
    this.promptId = promptId;
    const { signal } = this.opts;
    this.report({ stage: 'queued', fraction: 0.01 });
    return new Promise<HistoryEntry>((resolve, reject) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        timers.forEach(clearTimeout);
        clearInterval(poller);
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const fromHistory = async (): Promise<boolean> => {
        const entry = await this.client.history(promptId).catch(() => undefined);
        if (!entry?.status?.completed && entry?.status?.status_str !== 'error') return false;
        if (entry.status?.status_str === 'error') {
          const errMsg = entry.status.messages?.find(([t]) => t === 'execution_error')?.[1] as Record<string, unknown> | undefined;
          const interrupted = entry.status.messages?.some(([t]) => t === 'execution_interrupted');
          finish(() => reject(interrupted ? new StvError('CANCELLED', 'ComfyUI interrupted the prompt.') : executionError(errMsg ?? {}, this.workflow)));
        } else finish(() => resolve(entry));
        return true;
      };
      const onAbort = () => {
        void (async () => {
          try {
            const q = await this.client.queue();
            if (q.pending.includes(promptId)) await this.client.deleteQueued(promptId);
            else if (q.running.includes(promptId)) await this.client.interrupt(promptId);
          } catch {
            // The server is gone: nothing is rendering there any more.
          }
          // Wait briefly for ComfyUI to confirm the interrupt, then give up waiting.
          timers.push(setTimeout(() => finish(() => reject(new StvError('CANCELLED', 'The render was cancelled; ComfyUI stopped the prompt.'))), 10_000));
        })();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      timers.push(
        setTimeout(() => {
          onAbort();
          finish(() => reject(new StvError('TIMEOUT', `ComfyUI did not finish the render within ${Math.round(timeoutMs / 1000)} s; it was stopped.`, 'Raise comfyUI.timeoutSeconds for long renders, or check ComfyUI\'s console.')));
        }, timeoutMs),
      );
      // History is the source of truth whenever messages may have been missed.
      let ticks = 0;
      const poller = setInterval(() => {
        ticks++;
        // Every tick while the socket is down; every fifth as a safety net while it is up.
        if (!settled && (this.ws?.readyState !== WebSocket.OPEN || ticks % 5 === 0)) void fromHistory();
      }, this.pollIntervalMs);
      this.reconcileNow = () => void fromHistory();
      this.onMessage = (type, data) => {
        if (type === 'status') {
          const remaining = (data.status as { exec_info?: { queue_remaining?: number } } | undefined)?.exec_info?.queue_remaining;
          if (this.fraction < 0.02 && typeof remaining === 'number') this.report({ stage: 'queued', fraction: 0.01, queuePosition: remaining });
          return;
        }
        if (data.prompt_id !== promptId) return;
        switch (type) {
          case 'execution_start':
            this.report({ stage: 'loading', fraction: 0.02 });
            break;
          case 'executing': {
            const node = data.node as string | null | undefined;
            if (node === null || node === undefined) {
              void fromHistory(); // older servers signal the end this way
              break;
            }
            const cls = this.workflow[node]?.class_type ?? '';
            const stage = STAGE_BY_CLASS[cls] ?? (cls.includes('Loader') ? 'loading' : undefined);
            if (stage === 'decoding') this.report({ stage, fraction: 0.92 });
            else if (stage === 'encoding' || stage === 'saving') this.report({ stage, fraction: 0.95 });
            else if (stage) this.report({ stage, fraction: Math.max(this.fraction, 0.05) });
            break;
          }
          case 'progress': {
            const value = Number(data.value);
            const max = Number(data.max) || 1;
            const now = Date.now();
            if (!this.stepStart || value < this.stepStart.step) this.stepStart = { at: now, step: value };
            const perStep = value > this.stepStart.step ? (now - this.stepStart.at) / (value - this.stepStart.step) : undefined;
            this.report({ stage: 'denoising', fraction: 0.1 + 0.8 * (value / max), step: value, totalSteps: max, ...(perStep ? { etaMs: Math.round(perStep * (max - value)) } : {}) });
            break;
          }
          case 'execution_success':
            void fromHistory().then((done) => {
              if (!done) timers.push(setTimeout(() => void fromHistory(), 500));
            });
            break;
          case 'execution_error':
            finish(() => reject(executionError(data, this.workflow)));
            break;
          case 'execution_interrupted':
            finish(() => reject(new StvError('CANCELLED', signal.aborted ? 'The render was cancelled; ComfyUI stopped the prompt.' : 'ComfyUI interrupted the prompt (someone pressed Cancel in ComfyUI?).')));
            break;
        }
      };
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
