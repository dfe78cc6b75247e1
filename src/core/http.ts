/**
 * HTTP on undici with the failure modes users actually hit turned into StvErrors: nothing
 * listening, a server that hangs, a proxy or another service answering HTML, bodies that do not
 * match the protocol. Every response body is parsed with a zod schema before it is trusted.
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { StvError, isAbortError, type ErrorCode } from './errors';
import { ownDispatcher, undici } from './undici';

export interface HttpOptions {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: string | Buffer | Uint8Array;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Names the server in messages, e.g. "the FastVideo adapter at http://127.0.0.1:8055". */
  what: string;
  /** Hint for when nothing answers. */
  unreachableHint?: string;
  /**
   * The connection pool; ours (`ownDispatcher()` in core/undici.ts) by default, never the process-wide
   * one, which inside VS Code's extension host can belong to another copy of undici (issue 13).
   */
  dispatcher?: Dispatcher;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'EPIPE',
]);

export function networkError(e: unknown, what: string, hint?: string): StvError {
  if (isAbortError(e)) return new StvError('CANCELLED', 'Cancelled.', undefined, { cause: e });
  const err = e as { code?: string; cause?: { code?: string }; name?: string; message?: string };
  const code = err.code ?? err.cause?.code;
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    err.name === 'TimeoutError'
  )
    return new StvError(
      'TIMEOUT',
      `${what} did not answer in time.`,
      'Check that the server is not stuck; a first model load can take minutes.',
      { cause: e },
    );
  if (code && NETWORK_CODES.has(code))
    return new StvError('UNREACHABLE', `Nothing answers at ${what} (${code}).`, hint, { cause: e });
  return new StvError('UNREACHABLE', `Cannot reach ${what}: ${err.message ?? String(e)}`, hint, { cause: e });
}

/** One request with a timeout and cancellation; resolves with the raw status and text. */
export async function httpText(url: string, opts: HttpOptions): Promise<HttpResult> {
  const signals = [opts.signal, opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined].filter(
    (s): s is AbortSignal => !!s,
  );
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  try {
    const { request } = await undici();
    const res = await request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      body: opts.body,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      dispatcher: opts.dispatcher ?? (await ownDispatcher()),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  } catch (e) {
    if (opts.signal?.aborted) throw new StvError('CANCELLED', 'Cancelled.', undefined, { cause: e });
    if (isAbortError(e) || (e as Error).name === 'TimeoutError')
      throw new StvError(
        'TIMEOUT',
        `${opts.what} did not answer within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s.`,
        'Check that the server is not stuck; a first model load can take minutes.',
        { cause: e },
      );
    throw networkError(e, opts.what, opts.unreachableHint);
  }
}

export function parseJson<T>(text: string, schema: z.ZodType<T>, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const sample = text.slice(0, 120).replace(/\s+/g, ' ');
    throw new StvError(
      'BAD_RESPONSE',
      `${what} answered something that is not JSON: "${sample}".`,
      'Check that the URL points at the right server (not a proxy or another service).',
    );
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new StvError(
      'BAD_RESPONSE',
      `${what} answered JSON that does not match its protocol (${issue?.path.join('.') || 'body'}: ${issue?.message}).`,
      'The server may be a different version than this extension expects.',
    );
  }
  return r.data;
}

export function isErrorCode(code: string, known: readonly string[]): code is ErrorCode {
  return known.includes(code);
}
