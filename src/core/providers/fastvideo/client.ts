/** A thin typed client for the FastVideo adapter's HTTP API. */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ERROR_CODES, StvError } from '../../errors';
import { ownDispatcher, undici } from '../../undici';
import { httpText, isErrorCode, networkError, parseJson } from '../../http';
import {
  ErrorResponseSchema,
  HealthSchema,
  JobAcceptedSchema,
  JobSchema,
  type AdapterHealth,
  type AdapterJob,
  type GenerateBody,
} from './wire';

export interface AdapterClientOptions {
  endpoint: string;
  token?: string;
  requestTimeoutMs?: number;
}

export class AdapterClient {
  readonly endpoint: string;
  /** Names the adapter in messages. */
  readonly what: string;
  constructor(private readonly opts: AdapterClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.what = `the FastVideo adapter at ${this.endpoint}`;
  }

  private headers(json = false): Record<string, string> {
    return {
      ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
      ...(json ? { 'content-type': 'application/json' } : {}),
    };
  }

  private get unreachableHint(): string {
    return 'Start it with "Scene to Video: Start FastVideo adapter" (or scripts/run-fastvideo-server), or check fastVideo.endpointUrl.';
  }

  /** Turns a non-2xx answer into the adapter's own error code, message and hint. */
  private fail(status: number, text: string): never {
    let body: { code: string; message: string; hint?: string | null } | undefined;
    try {
      body = ErrorResponseSchema.parse(JSON.parse(text)).error;
    } catch {
      throw new StvError(
        'BAD_RESPONSE',
        `${this.what} answered HTTP ${status} without an error body: "${text.slice(0, 120)}".`,
        'Check that the endpoint is the adapter and not another service.',
      );
    }
    const code = isErrorCode(body.code, ERROR_CODES) ? body.code : 'INTERNAL';
    throw new StvError(code, body.message, body.hint ?? undefined);
  }

  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<{ status: number; text: string }> {
    const res = await httpText(`${this.endpoint}${path}`, {
      method,
      headers: this.headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      timeoutMs: timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000,
      what: this.what,
      unreachableHint: this.unreachableHint,
    });
    if (res.status >= 400) this.fail(res.status, res.text);
    return res;
  }

  async health(signal?: AbortSignal): Promise<AdapterHealth> {
    const r = await this.call('GET', '/health', undefined, signal, 5_000);
    // A token adapter tells a caller without its token only that it is alive.
    if (/^\s*\{\s*"status"\s*:\s*"alive"/.test(r.text))
      throw new StvError(
        'UNAUTHORIZED',
        `${this.what} is running but requires a token.`,
        'Run "Scene to Video: Set FastVideo adapter token" with the token it was started with.',
      );
    return parseJson(r.text, HealthSchema, this.what);
  }

  async submit(body: GenerateBody, signal?: AbortSignal): Promise<string> {
    const r = await this.call('POST', '/jobs', body, signal, 60_000);
    return parseJson(r.text, JobAcceptedSchema, this.what).jobId;
  }

  async job(jobId: string, signal?: AbortSignal): Promise<AdapterJob> {
    const r = await this.call('GET', `/jobs/${encodeURIComponent(jobId)}`, undefined, signal, 15_000);
    return parseJson(r.text, JobSchema, this.what);
  }

  async cancel(jobId: string): Promise<AdapterJob | undefined> {
    try {
      const r = await this.call('DELETE', `/jobs/${encodeURIComponent(jobId)}`, undefined, undefined, 60_000);
      return parseJson(r.text, JobSchema, this.what);
    } catch (e) {
      // Already finished (409) or gone: nothing is running any more, which is what cancel wants.
      if (e instanceof StvError && (e.code === 'INVALID_REQUEST' || e.code === 'NOT_FOUND')) return undefined;
      throw e;
    }
  }

  /**
   * Server-sent events of one job, resuming after `lastEventId`. Ends after the `done` event or
   * when the stream closes; throws UNREACHABLE when the connection breaks.
   */
  async *events(
    jobId: string,
    lastEventId: string | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<EventSourceMessage> {
    let res;
    try {
      res = await (
        await undici()
      ).request(`${this.endpoint}/jobs/${encodeURIComponent(jobId)}/events`, {
        dispatcher: await ownDispatcher(),
        headers: {
          ...this.headers(),
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
        signal,
        headersTimeout: 15_000,
        bodyTimeout: 60_000, // the adapter sends a keep-alive every 15 s
      });
    } catch (e) {
      throw networkError(e, this.what, this.unreachableHint);
    }
    if (res.statusCode >= 400) this.fail(res.statusCode, await res.body.text());
    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (ev) => queue.push(ev) });
    try {
      for await (const chunk of res.body) {
        parser.feed(Buffer.from(chunk as Buffer).toString('utf8'));
        while (queue.length) {
          const ev = queue.shift() as EventSourceMessage;
          yield ev;
          if (ev.event === 'done') return;
        }
      }
    } catch (e) {
      if (signal.aborted) throw new StvError('CANCELLED', 'Cancelled.');
      throw networkError(e, this.what, this.unreachableHint);
    } finally {
      res.body.destroy();
    }
  }

  /** Streams the finished MP4 (or an image job's PNG) to `dest` (used when the adapter's files are not readable here). */
  async downloadVideo(
    jobId: string,
    dest: string,
    signal: AbortSignal,
    kind: 'video' | 'image' = 'video',
  ): Promise<number> {
    let res;
    try {
      res = await (
        await undici()
      ).request(`${this.endpoint}/jobs/${encodeURIComponent(jobId)}/${kind}`, {
        headers: this.headers(),
        signal,
        dispatcher: await ownDispatcher(),
        headersTimeout: 30_000,
        bodyTimeout: 120_000,
      });
    } catch (e) {
      throw networkError(e, this.what, this.unreachableHint);
    }
    if (res.statusCode >= 400) this.fail(res.statusCode, await res.body.text());
    let bytes = 0;
    res.body.on('data', (c: Buffer) => (bytes += c.length));
    try {
      await pipeline(res.body, createWriteStream(dest, { flags: 'wx' }));
    } catch (e) {
      await rm(dest, { force: true });
      if (signal.aborted) throw new StvError('CANCELLED', 'Cancelled.');
      throw localWriteError(e, dest, kind) ?? networkError(e, this.what);
    }
    const expected = Number(res.headers['content-length'] ?? bytes);
    if (bytes !== expected || bytes === 0) {
      await rm(dest, { force: true });
      throw new StvError(
        'BAD_RESPONSE',
        `The ${kind} download from ${this.what} was cut short (${bytes} of ${expected} bytes).`,
        'Render again; check the network between this machine and the adapter.',
      );
    }
    return bytes;
  }
}

/** The download's own file failed (not the network): say so with the codes the queue uses. */
function localWriteError(e: unknown, dest: string, kind: 'video' | 'image'): StvError | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new StvError(
      'DISK_FULL',
      `The disk is full while downloading the ${kind} to ${dest}.`,
      'Free some space; earlier renders were not touched.',
      { cause: e },
    );
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new StvError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write the downloaded ${kind} to ${dest} (${code}).`,
      'Choose another output folder (fastVideo.outputDir) or fix its permissions.',
      { cause: e },
    );
  return undefined;
}
