/**
 * Several ComfyUI servers behind one provider (comfyUI.endpoints). Each server renders one job at
 * a time and the provider offers one slot per server, so the render queue keeps N jobs in flight
 * on N servers. A server that goes away mid-render (nothing answers any more, or it restarted and
 * forgot the prompt) takes no job with it: the job moves once to another server, and a second loss
 * fails it with a message naming both servers. Nothing is saved twice: a render returns one video,
 * which the queue publishes atomically (render/artifacts.ts); the lost server's half-done prompt
 * never reaches the outputs.
 */
import { StvError, isStvError, toStvError } from '../../errors';
import type {
  HealthState,
  ProviderHealth,
  RenderOptions,
  RenderProgress,
  RenderRequest,
  RenderResult,
  ServerHealth,
  VideoProvider,
} from '../types';
import { isPromptForgotten } from './follower';

/** How many servers one job may be tried on: its own and, when that one goes away, one other. */
export const MAX_SERVERS_PER_JOB = 2;

/**
 * How long a server found down is not probed again to place a job. A server on another machine
 * that does not answer costs a probe its whole connect timeout (seconds), and without this every
 * job looking for a server (each waiter woken, each new job) would pay it again. The status bar's
 * health checks still probe every server each time, and mark one that is back up at once.
 */
export const REPROBE_AFTER_MS = 10_000;

interface Server {
  readonly provider: VideoProvider;
  /** Renders a job now, or is being probed: no other job may take it. */
  busy: boolean;
  /** Why it takes no new job: it went away mid-render or its health check found it down. */
  down?: string;
  /** When (Date.now()) a probe last found it down; see REPROBE_AFTER_MS. */
  probedDownAt?: number;
}

/** A job waiting for a server; resolved with one handed over, or undefined to look again. */
interface Waiter {
  readonly exclude: ReadonlySet<Server>;
  resolve(server: Server | undefined): void;
}

/** Whether a render failed because its server went away (rather than because of the job itself). */
export function serverWentAway(e: unknown): boolean {
  return (isStvError(e) && e.code === 'UNREACHABLE') || isPromptForgotten(e);
}

const cancelled = () => new StvError('CANCELLED', 'The render was cancelled.');

export class ComfyUIPool implements VideoProvider {
  readonly id = 'comfyui-local' as const;
  readonly endpoint: string;
  readonly slots: number;
  private readonly servers: Server[];
  private waiters: Waiter[] = [];

  constructor(
    providers: readonly VideoProvider[],
    private readonly log: (line: string) => void = () => undefined,
    private readonly reprobeAfterMs = REPROBE_AFTER_MS,
  ) {
    if (providers.length === 0)
      throw new StvError(
        'SETTINGS_INVALID',
        'No ComfyUI server to render on.',
        'Set comfyUI.url or comfyUI.endpoints.',
      );
    this.servers = providers.map((provider) => ({ provider, busy: false }));
    this.slots = providers.length;
    this.endpoint = providers.map((p) => p.endpoint).join(', ');
  }

  async render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult> {
    const tried = new Set<Server>();
    const lost: string[] = [];
    // Progress never runs backwards, even when a job starts again on another server.
    let floor = 0;
    const onProgress = (p: RenderProgress) => {
      floor = Math.max(floor, p.fraction);
      opts.onProgress({ ...p, fraction: floor });
    };
    for (;;) {
      const server = await this.acquire(tried, opts.signal, onProgress).catch((e: unknown) => {
        throw lost.length && !opts.signal.aborted ? this.lostError(lost, toStvError(e)) : e;
      });
      tried.add(server);
      const endpoint = server.provider.endpoint;
      try {
        const result = await server.provider.render(req, { ...opts, onProgress });
        server.down = undefined;
        return lost.length ? { ...result, server: { ...result.server, movedFrom: lost } } : result;
      } catch (e) {
        if (opts.signal.aborted || !serverWentAway(e)) throw e;
        const err = toStvError(e);
        server.down = err.message;
        lost.push(`${endpoint}: ${err.message}`);
        this.log(`comfyui ${req.sceneId}: ${endpoint} went away during the render (${err.message})`);
        if (tried.size >= Math.min(MAX_SERVERS_PER_JOB, this.servers.length)) throw this.lostError(lost, err);
        onProgress({
          stage: 'queued',
          fraction: 0,
          message: `ComfyUI at ${endpoint} went away during the render; the job moves to another server.`,
        });
      } finally {
        this.release(server);
      }
    }
  }

  /** An idle server that is up, one that answers again, or the next one freed; never one in `exclude`. */
  private async acquire(
    exclude: ReadonlySet<Server>,
    signal: AbortSignal,
    onProgress: (p: RenderProgress) => void,
  ): Promise<Server> {
    for (;;) {
      if (signal.aborted) throw cancelled();
      const candidates = this.servers.filter((s) => !exclude.has(s));
      const idle = candidates.find((s) => !s.busy && !s.down);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      const revived = await this.revive(candidates, signal);
      if (revived) return revived;
      if (!candidates.some((s) => s.busy)) throw this.noServerError(candidates);
      onProgress({ stage: 'queued', fraction: 0, message: 'Waiting for a free ComfyUI server.' });
      const handed = await this.nextFree(exclude, signal);
      if (handed) return handed;
    }
  }

  /**
   * Probes the idle servers marked down that were not found down in the last REPROBE_AFTER_MS;
   * the first that answers again is taken (busy).
   */
  private async revive(candidates: Server[], signal: AbortSignal): Promise<Server | undefined> {
    const due = (c: Server) => c.probedDownAt === undefined || Date.now() - c.probedDownAt >= this.reprobeAfterMs;
    for (const s of candidates.filter((c) => c.down)) {
      if (s.busy || !due(s)) continue; // another job may have taken or probed it meanwhile
      s.busy = true;
      const h = await s.provider.health(signal).catch(() => undefined);
      if (h && h.state !== 'down') {
        s.down = undefined;
        s.probedDownAt = undefined;
        return s;
      }
      if (h) s.down = h.summary;
      s.probedDownAt = Date.now();
      s.busy = false;
      // A job that saw this server busy (being probed) waits for it to be freed: it is, so look again.
      this.wakeWaiters();
    }
    return undefined;
  }

  private nextFree(exclude: ReadonlySet<Server>, signal: AbortSignal): Promise<Server | undefined> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(cancelled());
      };
      const waiter: Waiter = {
        exclude,
        resolve: (s) => {
          signal.removeEventListener('abort', onAbort);
          resolve(s);
        },
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Hands a freed server straight to the first waiting job that may use it (first come, first
   * served, so a moved job is not overtaken by newer ones). A server that went away is handed to
   * no one; every waiter looks again instead, since the server it waited for may have been it.
   */
  private release(server: Server): void {
    if (!server.down) {
      const i = this.waiters.findIndex((w) => !w.exclude.has(server));
      const waiter = this.waiters[i];
      if (waiter) {
        this.waiters.splice(i, 1);
        waiter.resolve(server);
        return;
      }
    }
    server.busy = false;
    if (server.down) this.wakeWaiters();
  }

  /** Every waiting job looks again: the server it waited for went away, or another came back. */
  private wakeWaiters(): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.resolve(undefined);
  }

  private lostError(lost: string[], last: StvError): StvError {
    const moved = lost.length > 1 ? ` It had been moved once already, so it was not moved again.` : '';
    return new StvError(
      'UNREACHABLE',
      `The render was lost: ComfyUI went away during it (${lost.join('; ')}).${lost.length > 1 ? '' : ` ${last.message}`}${moved}`,
      'Check those servers (their consoles; they may have crashed or restarted), then render the scene again. The other servers in comfyUI.endpoints keep rendering.',
    );
  }

  private noServerError(candidates: Server[]): StvError {
    const which = candidates.map((s) => `${s.provider.endpoint} (${s.down ?? 'busy'})`).join('; ');
    return new StvError(
      'UNREACHABLE',
      `No ComfyUI server in comfyUI.endpoints can take the job: ${which || 'none left to try'}.`,
      'Start the servers (python main.py --listen 127.0.0.1 --port <port>) or fix comfyUI.endpoints.',
    );
  }

  /** Every server's health at once; the pool is ok when all are, down when none answers. */
  async health(signal?: AbortSignal): Promise<ProviderHealth> {
    let back = false;
    const results = await Promise.all(
      this.servers.map(async (s) => {
        const h = await s.provider.health(signal);
        // A health check marks a server down or up again; one rendering now keeps its job either way.
        back ||= !!s.down && h.state !== 'down' && !s.busy;
        s.down = h.state === 'down' ? h.summary : undefined;
        s.probedDownAt = s.down ? Date.now() : undefined;
        return h;
      }),
    );
    if (back) this.wakeWaiters(); // a job waiting for a busy server may take this one now
    const servers: ServerHealth[] = results.map((h, i) => ({
      endpoint: h.endpoint,
      state: h.state,
      summary: h.summary,
      busy: this.servers[i]?.busy ?? false,
      ...(h.error ? { error: h.error } : {}),
    }));
    return aggregateHealth(this.endpoint, results, servers);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.provider.dispose?.()));
  }
}

/** One health for the provider from its servers': what the status bar shows, with each server listed. */
export function aggregateHealth(endpoint: string, results: ProviderHealth[], servers: ServerHealth[]): ProviderHealth {
  const ok = results.filter((h) => h.state === 'ok').length;
  const down = results.filter((h) => h.state === 'down').length;
  const state: HealthState = ok === results.length ? 'ok' : down === results.length ? 'down' : 'degraded';
  const busy = servers.filter((s) => s.busy).length;
  const worst = results.find((h) => h.state === 'down') ?? results.find((h) => h.state !== 'ok');
  const first = results.find((h) => h.state !== 'down') ?? results[0];
  const n = results.length;
  return {
    provider: 'comfyui-local',
    endpoint,
    state,
    summary: `${ok} of ${n} ComfyUI servers ok, ${busy} rendering${worst ? ` · ${worst.endpoint} ${worst.state}: ${worst.summary}` : ''}`,
    checkedAt: new Date().toISOString(),
    ...(first?.model ? { model: first.model } : {}),
    ...(first?.followsKeyframe !== undefined ? { followsKeyframe: first.followsKeyframe } : {}),
    ...(first?.followsEndKeyframe !== undefined ? { followsEndKeyframe: first.followsEndKeyframe } : {}),
    ...(worst?.error ? { error: { ...worst.error, message: `${worst.endpoint}: ${worst.error.message}` } } : {}),
    servers,
  };
}
