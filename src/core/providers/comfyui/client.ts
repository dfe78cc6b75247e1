/** ComfyUI's HTTP API (server.py), typed, on undici. */
import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FormData, request } from 'undici';
import { StvError } from '../../errors';
import { httpText, networkError, parseJson } from '../../http';
import type { Workflow } from './workflow';
import { HistorySchema, PromptAcceptedSchema, PromptRejectedSchema, QueueSchema, SystemStatsSchema, UploadResultSchema, type HistoryEntry, type SavedFile, type SystemStats } from './wire';
import { z } from 'zod';

const ObjectInfoSchema = z.record(z.string(), z.object({ input: z.object({ required: z.record(z.string(), z.unknown()).optional(), optional: z.record(z.string(), z.unknown()).optional() }).loose().optional() }).loose());
export type ObjectInfo = z.infer<typeof ObjectInfoSchema>;

/** A file name ComfyUI reports must stay a plain name: no traversal into other folders. */
export function safeOutputName(f: SavedFile): SavedFile {
  const bad = (s: string) => s.includes('..') || s.includes('\0') || path.isAbsolute(s) || /^[A-Za-z]:/.test(s);
  if (!f.filename || bad(f.filename) || f.filename.includes('/') || f.filename.includes('\\') || bad(f.subfolder))
    throw new StvError('PATH_FORBIDDEN', `ComfyUI reported an output file name that leaves its output folder: ${JSON.stringify(f)}.`, 'Check the workflow\'s SaveVideo filename_prefix.');
  if (!['output', 'temp', 'input'].includes(f.type)) throw new StvError('PATH_FORBIDDEN', `ComfyUI reported an unknown output type "${f.type}".`);
  return f;
}

export class ComfyClient {
  readonly base: string;
  readonly what: string;
  constructor(url: string, private readonly timeoutMs = 30_000) {
    this.base = url.replace(/\/+$/, '');
    this.what = `ComfyUI at ${this.base}`;
  }

  private hint = 'Start ComfyUI (python main.py --listen 127.0.0.1 --port 8188) or check comfyUI.url.';

  private async json<T>(method: 'GET' | 'POST', p: string, schema: z.ZodType<T>, body?: unknown, timeoutMs = this.timeoutMs, signal?: AbortSignal): Promise<T> {
    const res = await httpText(`${this.base}${p}`, { method, what: this.what, unreachableHint: this.hint, timeoutMs, signal, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    if (res.status >= 400) throw new StvError('BAD_RESPONSE', `${this.what} answered HTTP ${res.status} to ${method} ${p}: ${res.text.slice(0, 200)}`);
    return parseJson(res.text, schema, this.what);
  }

  systemStats(signal?: AbortSignal): Promise<SystemStats> {
    return this.json('GET', '/system_stats', SystemStatsSchema, undefined, 5_000, signal);
  }

  objectInfo(signal?: AbortSignal): Promise<ObjectInfo> {
    return this.json('GET', '/object_info', ObjectInfoSchema, undefined, 30_000, signal);
  }

  async uploadImage(file: string, signal?: AbortSignal): Promise<string> {
    const bytes = await readFile(file);
    const form = new FormData();
    form.append('image', new Blob([bytes]), path.basename(file));
    form.append('subfolder', 'scene-to-video');
    form.append('type', 'input');
    form.append('overwrite', 'true');
    let res;
    try {
      res = await request(`${this.base}/upload/image`, { method: 'POST', body: form, signal, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    } catch (e) {
      throw networkError(e, this.what, this.hint);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new StvError('BAD_RESPONSE', `${this.what} refused the keyframe upload (HTTP ${res.statusCode}): ${text.slice(0, 200)}`);
    const up = parseJson(text, UploadResultSchema, this.what);
    return up.subfolder ? `${up.subfolder}/${up.name}` : up.name;
  }

  /** POST /prompt; a rejected prompt becomes PROMPT_REJECTED or MISSING_NODES naming node and input. */
  async queuePrompt(workflow: Workflow, clientId: string, signal?: AbortSignal): Promise<string> {
    const res = await httpText(`${this.base}/prompt`, { method: 'POST', what: this.what, unreachableHint: this.hint, timeoutMs: this.timeoutMs, signal, body: JSON.stringify({ prompt: workflow, client_id: clientId }), headers: { 'content-type': 'application/json' } });
    if (res.status === 200) return parseJson(res.text, PromptAcceptedSchema, this.what).prompt_id;
    if (res.status === 400) throw rejection(parseJson(res.text, PromptRejectedSchema, this.what), workflow);
    throw new StvError('BAD_RESPONSE', `${this.what} answered HTTP ${res.status} to POST /prompt: ${res.text.slice(0, 200)}`);
  }

  async history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined> {
    const h = await this.json('GET', `/history/${encodeURIComponent(promptId)}`, HistorySchema, undefined, 15_000, signal);
    return h[promptId];
  }

  async queue(signal?: AbortSignal): Promise<{ running: string[]; pending: string[] }> {
    const q = await this.json('GET', '/queue', QueueSchema, undefined, 10_000, signal);
    const ids = (rows: unknown[][]) => rows.map((r) => r[1]).filter((x): x is string => typeof x === 'string');
    return { running: ids(q.queue_running), pending: ids(q.queue_pending) };
  }

  async deleteQueued(promptId: string): Promise<void> {
    await httpText(`${this.base}/queue`, { method: 'POST', what: this.what, timeoutMs: 10_000, body: JSON.stringify({ delete: [promptId] }), headers: { 'content-type': 'application/json' } });
  }

  /** Interrupts the running prompt; newer servers only interrupt if it is `promptId`. */
  async interrupt(promptId: string): Promise<void> {
    await httpText(`${this.base}/interrupt`, { method: 'POST', what: this.what, timeoutMs: 10_000, body: JSON.stringify({ prompt_id: promptId }), headers: { 'content-type': 'application/json' } });
  }

  async download(file: SavedFile, dest: string, signal?: AbortSignal): Promise<void> {
    const f = safeOutputName(file);
    const q = new URLSearchParams({ filename: f.filename, subfolder: f.subfolder, type: f.type });
    let res;
    try {
      res = await request(`${this.base}/view?${q.toString()}`, { signal, headersTimeout: 30_000, bodyTimeout: 120_000 });
    } catch (e) {
      throw networkError(e, this.what, this.hint);
    }
    if (res.statusCode >= 400) {
      await res.body.dump();
      throw new StvError('NOT_FOUND', `${this.what} has no file ${f.subfolder ? `${f.subfolder}/` : ''}${f.filename} (HTTP ${res.statusCode}).`);
    }
    try {
      await pipeline(res.body, createWriteStream(dest, { flags: 'wx' }));
    } catch (e) {
      await rm(dest, { force: true });
      throw networkError(e, this.what);
    }
  }
}

function rejection(body: z.infer<typeof PromptRejectedSchema>, workflow: Workflow): StvError {
  const top = typeof body.error === 'string' ? { message: body.error } : body.error;
  const lines: string[] = [];
  for (const [nodeId, ne] of Object.entries(body.node_errors ?? {})) {
    const cls = ne.class_type ?? workflow[nodeId]?.class_type ?? '?';
    for (const e of ne.errors) lines.push(`node ${nodeId} (${cls})${e.extra_info?.input_name ? ` input "${e.extra_info.input_name}"` : ''}: ${e.message}${e.details ? ` — ${e.details}` : ''}`);
  }
  const type = typeof body.error === 'string' ? undefined : body.error.type;
  if (type === 'missing_node_type')
    return new StvError('MISSING_NODES', `ComfyUI does not have a node this workflow uses: ${top.message}`, 'Install the custom nodes (e.g. with ComfyUI-Manager) and restart ComfyUI.');
  const missingModel = lines.find((l) => /not in list/i.test(l));
  return new StvError(
    'PROMPT_REJECTED',
    `ComfyUI rejected the workflow: ${lines.length ? lines.join('; ') : top.message}`,
    missingModel ? 'A model file the workflow names is not installed: put it in ComfyUI\'s models folder (see docs/comfyui.md).' : 'Fix the input named above in the workflow or its mapping.',
  );
}
