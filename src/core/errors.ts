/**
 * Errors are values with a stable code, a message a person can act on, and a hint that says what
 * to do next. The UI turns them into notifications with actions; the CLI prints them; the docs
 * (docs/troubleshooting.md) have one section per code, linked through `docsAnchor`.
 */
export const ERROR_CODES = [
  // input
  'INVALID_REQUEST',
  'TIMELINE_INVALID',
  'KEYFRAME_MISSING',
  'SCENE_NOT_FOUND',
  'WORKFLOW_INVALID',
  'SETTINGS_INVALID',
  // connectivity / auth
  'UNREACHABLE',
  'TIMEOUT',
  'UNAUTHORIZED',
  'ORIGIN_FORBIDDEN',
  'BAD_RESPONSE',
  // server-side conditions
  'BUSY',
  'MODEL_NOT_FOUND',
  'MODEL_LOADING',
  'MISSING_NODES',
  'PROMPT_REJECTED',
  'EXECUTION_ERROR',
  'CUDA_OOM',
  'CANCELLED',
  'PAYLOAD_TOO_LARGE',
  'PATH_FORBIDDEN',
  'NOT_FOUND',
  // local environment
  'OUTPUT_NOT_WRITABLE',
  'DISK_FULL',
  'ADAPTER_CRASHED',
  'WORKSPACE_UNTRUSTED',
  'WSL_UNAVAILABLE',
  'SETUP_FAILED',
  // the cut (issue 19)
  'TAKE_MISSING',
  'FFMPEG_NOT_FOUND',
  'ASSEMBLY_FAILED',
  'OUTPUT_EXISTS',
  // the Ray render farm (issue 22): the worker rendering a job went away, on its retry too
  'WORKER_LOST',
  // keyframes from prompts (issue 21)
  'KEYFRAMES_UNSUPPORTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorShape {
  code: ErrorCode;
  message: string;
  hint?: string;
}

export class StvError extends Error implements ErrorShape {
  override readonly name = 'StvError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Anchor in docs/troubleshooting.md that explains this code. */
  get docsAnchor(): string {
    return `docs/troubleshooting.md#${this.code.toLowerCase().replace(/_/g, '-')}`;
  }

  toJSON(): ErrorShape {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export function isStvError(e: unknown): e is StvError {
  return e instanceof StvError;
}

/** Wraps anything thrown into an StvError, keeping the original as `cause`. */
export function toStvError(e: unknown, fallback: ErrorCode = 'INTERNAL'): StvError {
  if (e instanceof StvError) return e;
  if (isAbortError(e)) return new StvError('CANCELLED', 'The render was cancelled.', undefined, { cause: e });
  const message = e instanceof Error ? e.message : String(e);
  return new StvError(fallback, message, undefined, { cause: e });
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR');
}
