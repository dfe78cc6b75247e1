/** ComfyUI's HTTP API (server.py), typed, on undici. */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { readKeyframeImage } from '../../keyframeImage';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StvError } from '../../errors';
import { ownDispatcher, undici } from '../../undici';
import { httpText, networkError, parseJson } from '../../http';
import { MODEL_FOLDERS, type Workflow } from './workflow';
import {
  HistorySchema,
  PromptAcceptedSchema,
  PromptRejectedSchema,
  QueueSchema,
  SystemStatsSchema,
  UploadResultSchema,
  type HistoryEntry,
  type SavedFile,
  type SystemStats,
} from './wire';
import { z } from 'zod';

const ObjectInfoSchema = z.record(
  z.string(),
  z
    .object({
      input: z
        .object({
          required: z.record(z.string(), z.unknown()).optional(),
          optional: z.record(z.string(), z.unknown()).optional(),
        })
        .loose()
        .optional(),
    })
    .loose(),
);
export type ObjectInfo = z.infer<typeof ObjectInfoSchema>;

/**
 * A file name ComfyUI reports must stay a plain name: no traversal into other folders, no
 * absolute or drive paths (either slash, since the server may run on Windows), and no
 * " [input]"-style suffix that makes /view read another of its folders.
 */
export function safeOutputName(f: SavedFile): SavedFile {
  const bad = (s: string) =>
    s.includes('..') ||
    s.includes('\0') ||
    path.isAbsolute(s) ||
    /^[/\\]/.test(s) ||
    /^[A-Za-z]:/.test(s) ||
    /\s\[(input|output|temp)\]$/.test(s);
  if (!f.filename || bad(f.filename) || f.filename.includes('/') || f.filename.includes('\\') || bad(f.subfolder))
    throw new StvError(
      'PATH_FORBIDDEN',
      `ComfyUI reported an output file name that leaves its output folder: ${JSON.stringify(f)}.`,
      "Check the workflow's SaveVideo filename_prefix.",
    );
  if (!['output', 'temp', 'input'].includes(f.type))
    throw new StvError('PATH_FORBIDDEN', `ComfyUI reported an unknown output type "${f.type}".`);
  return f;
}

export class ComfyClient {
  readonly base: string;
  readonly what: string;
  constructor(
    url: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = url.replace(/\/+$/, '');
    this.what = `ComfyUI at ${this.base}`;
  }

  private hint =
    'Start ComfyUI (python main.py --listen 127.0.0.1 --port 8188) or check comfyUI.url (comfyUI.endpoints when it lists servers).';

  private async json<T>(
    method: 'GET' | 'POST',
    p: string,
    schema: z.ZodType<T>,
    body?: unknown,
    timeoutMs = this.timeoutMs,
    signal?: AbortSignal,
  ): Promise<T> {
    const res = await httpText(`${this.base}${p}`, {
      method,
      what: this.what,
      unreachableHint: this.hint,
      timeoutMs,
      signal,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    if (res.status >= 400)
      throw new StvError(
        'BAD_RESPONSE',
        `${this.what} answered HTTP ${res.status} to ${method} ${p}: ${res.text.slice(0, 200)}`,
      );
    return parseJson(res.text, schema, this.what);
  }

  systemStats(signal?: AbortSignal): Promise<SystemStats> {
    return this.json('GET', '/system_stats', SystemStatsSchema, undefined, 5_000, signal);
  }

  objectInfo(signal?: AbortSignal): Promise<ObjectInfo> {
    return this.json('GET', '/object_info', ObjectInfoSchema, undefined, 30_000, signal);
  }

  /**
   * Uploads an image into ComfyUI's input/scene-to-video/ folder and returns the name LoadImage
   * takes. The name carries a hash of the content, so two scenes (or two windows) whose keyframes
   * share a file name never overwrite each other's image while a prompt waits in the queue.
   */
  async uploadImage(file: string, signal?: AbortSignal, namePrefix?: string): Promise<string> {
    const bytes = await readKeyframeImage(file); // an image by its magic bytes, of bounded size and shape
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    const ext = path.extname(file).toLowerCase() || '.png';
    const stem =
      (namePrefix ?? path.basename(file, path.extname(file))).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) ||
      'keyframe';
    const { FormData, request } = await undici();
    const form = new FormData();
    form.append('image', new Blob([bytes]), `${stem}-${hash}${ext}`);
    form.append('subfolder', 'scene-to-video');
    form.append('type', 'input');
    form.append('overwrite', 'true');
    // A deadline for the whole upload, answer included. It also races the request: a pool that
    // never starts the request never looks at the abort signal either (issue 13's hang did not).
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let res, text;
    try {
      const sent = (async () => {
        const r = await request(`${this.base}/upload/image`, {
          method: 'POST',
          body: form,
          signal: both,
          dispatcher: await ownDispatcher(),
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
        return { r, t: await r.body.text() };
      })();
      let onAbort: () => void = () => undefined;
      const stop = new Promise<never>((_, reject) =>
        both.addEventListener('abort', (onAbort = () => reject(both.reason as Error)), { once: true }),
      );
      // Whichever loses the race below settles later, unobserved: neither is an unhandled rejection.
      sent.catch(() => undefined);
      stop.catch(() => undefined);
      try {
        ({ r: res, t: text } = await Promise.race([sent, stop]));
      } finally {
        both.removeEventListener('abort', onAbort); // `both` follows the render's signal, which outlives the upload
      }
    } catch (e) {
      if (signal?.aborted)
        throw new StvError('CANCELLED', 'The render was cancelled during the keyframe upload.', undefined, {
          cause: e,
        });
      if (deadline.aborted)
        throw new StvError(
          'TIMEOUT',
          `${this.what} did not answer the keyframe upload within ${Math.round(this.timeoutMs / 1000)} s.`,
          "Check ComfyUI's console; a proxy or firewall between VS Code and ComfyUI may hold the request.",
          { cause: e },
        );
      throw networkError(e, this.what, this.hint);
    }
    if (res.statusCode >= 400)
      throw new StvError(
        'BAD_RESPONSE',
        `${this.what} refused the keyframe upload (HTTP ${res.statusCode}): ${text.slice(0, 200)}`,
      );
    const up = parseJson(text, UploadResultSchema, this.what);
    return up.subfolder ? `${up.subfolder}/${up.name}` : up.name;
  }

  /**
   * POST /prompt; a rejected prompt becomes PROMPT_REJECTED or MISSING_NODES naming node and input.
   * We choose the prompt id (servers since 2025 take `prompt_id`; older ones answer with their own),
   * so a prompt whose submission was cut off can still be found and cancelled.
   */
  async queuePrompt(workflow: Workflow, clientId: string, promptId?: string, signal?: AbortSignal): Promise<string> {
    const res = await httpText(`${this.base}/prompt`, {
      method: 'POST',
      what: this.what,
      unreachableHint: this.hint,
      timeoutMs: this.timeoutMs,
      signal,
      body: JSON.stringify({ prompt: workflow, client_id: clientId, ...(promptId ? { prompt_id: promptId } : {}) }),
      headers: { 'content-type': 'application/json' },
    });
    if (res.status === 200) return parseJson(res.text, PromptAcceptedSchema, this.what).prompt_id;
    if (res.status === 400) throw rejection(parseJson(res.text, PromptRejectedSchema, this.what), workflow);
    throw new StvError(
      'BAD_RESPONSE',
      `${this.what} answered HTTP ${res.status} to POST /prompt: ${res.text.slice(0, 200)}`,
    );
  }

  async history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined> {
    const h = await this.json(
      'GET',
      `/history/${encodeURIComponent(promptId)}`,
      HistorySchema,
      undefined,
      15_000,
      signal,
    );
    return h[promptId];
  }

  async queue(signal?: AbortSignal): Promise<{ running: string[]; pending: string[] }> {
    const q = await this.json('GET', '/queue', QueueSchema, undefined, 10_000, signal);
    const ids = (rows: unknown[][]) => rows.map((r) => r[1]).filter((x): x is string => typeof x === 'string');
    return { running: ids(q.queue_running), pending: ids(q.queue_pending) };
  }

  async deleteQueued(promptId: string): Promise<void> {
    const res = await httpText(`${this.base}/queue`, {
      method: 'POST',
      what: this.what,
      timeoutMs: 10_000,
      body: JSON.stringify({ delete: [promptId] }),
      headers: { 'content-type': 'application/json' },
    });
    if (res.status >= 400)
      throw new StvError('BAD_RESPONSE', `${this.what} answered HTTP ${res.status} to POST /queue {delete}.`);
  }

  /**
   * Interrupts the running prompt. Servers since 2025 only interrupt if it is `promptId`; older
   * ones ignore the body and interrupt whatever runs, so call this only while ours is running.
   */
  async interrupt(promptId: string): Promise<void> {
    const res = await httpText(`${this.base}/interrupt`, {
      method: 'POST',
      what: this.what,
      timeoutMs: 10_000,
      body: JSON.stringify({ prompt_id: promptId }),
      headers: { 'content-type': 'application/json' },
    });
    if (res.status >= 400)
      throw new StvError('BAD_RESPONSE', `${this.what} answered HTTP ${res.status} to POST /interrupt.`);
  }

  async download(file: SavedFile, dest: string, signal?: AbortSignal): Promise<void> {
    const f = safeOutputName(file);
    const q = new URLSearchParams({ filename: f.filename, subfolder: f.subfolder, type: f.type });
    let res;
    try {
      // bodyTimeout is the longest pause between chunks, not a limit on a long download.
      res = await (
        await undici()
      ).request(`${this.base}/view?${q.toString()}`, {
        signal,
        dispatcher: await ownDispatcher(),
        headersTimeout: 30_000,
        bodyTimeout: 120_000,
      });
    } catch (e) {
      throw networkError(e, this.what, this.hint);
    }
    if (res.statusCode >= 400) {
      await res.body.dump();
      const name = `${f.subfolder ? `${f.subfolder}/` : ''}${f.filename}`;
      // The real /view answers 400 for '..' or a leading '/', 403 for a subfolder outside its folder.
      if (res.statusCode === 400 || res.statusCode === 403)
        throw new StvError('PATH_FORBIDDEN', `${this.what} refused to serve ${name} (HTTP ${res.statusCode}).`);
      throw new StvError(
        'NOT_FOUND',
        `${this.what} has no file ${name} (HTTP ${res.statusCode}).`,
        'Its output folder may have been cleaned up; render again.',
      );
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
    for (const e of ne.errors)
      lines.push(
        `node ${nodeId} (${cls})${e.extra_info?.input_name ? ` input "${e.extra_info.input_name}"` : ''}: ${e.message}${e.details ? ` — ${e.details}` : ''}`,
      );
  }
  const type = typeof body.error === 'string' ? undefined : body.error.type;
  // Newer servers say `missing_node_type`; 0.3.x says `invalid_prompt` "Cannot execute because
  // node X does not exist." with "Node ID '#7'" in the details.
  if (type === 'missing_node_type' || (type === 'invalid_prompt' && /does not exist|not found/i.test(top.message))) {
    const where = typeof body.error === 'string' ? undefined : body.error.details;
    return new StvError(
      'MISSING_NODES',
      `ComfyUI does not have a node this workflow uses: ${top.message}${where ? ` (${where})` : ''}`,
      'Install the custom nodes (e.g. with ComfyUI-Manager) and restart ComfyUI.',
    );
  }
  // A loader's file that is not in its option list is a model that is not installed: say where it goes.
  const missingFiles: string[] = [];
  for (const [nodeId, ne] of Object.entries(body.node_errors ?? {})) {
    const folder = MODEL_FOLDERS[ne.class_type ?? workflow[nodeId]?.class_type ?? ''];
    for (const e of ne.errors) {
      const value = e.extra_info?.received_value;
      if (folder && e.type === 'value_not_in_list' && typeof value === 'string')
        missingFiles.push(`${value} → ComfyUI/${folder}`);
    }
  }
  const missingModel = missingFiles.length > 0 || lines.some((l) => /not in list/i.test(l));
  return new StvError(
    'PROMPT_REJECTED',
    `ComfyUI rejected the workflow: ${lines.length ? lines.join('; ') : top.message}`,
    missingFiles.length
      ? `Model files are not installed. Put ${missingFiles.join(', ')} (see docs/comfyui.md), then render again.`
      : missingModel
        ? "A file the workflow names is not in ComfyUI's list for that input: install it in ComfyUI's models folder (see docs/comfyui.md) or fix the name."
        : 'Fix the input named above in the workflow or its mapping.',
  );
}
