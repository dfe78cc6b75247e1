/** Builds providers from settings (rebuilt when settings or the token change) and tracks health. */
import * as vscode from 'vscode';
import { healthProblem, type ProviderHealth, type ProviderId, type VideoProvider } from '../core/providers/types';
import type { Settings } from '../core/settings/schema';
import { log } from './log';

export const TOKEN_KEY = 'sceneToVideo.fastVideo.adapterToken';

export class ProviderHub implements vscode.Disposable {
  private cache = new Map<ProviderId, Promise<VideoProvider>>();
  private readonly health = new Map<ProviderId, ProviderHealth>();
  /** One health request per provider at a time: the interval, renders and commands share it. */
  private readonly inflight = new Map<ProviderId, Promise<ProviderHealth>>();
  /** Bumped when settings or the token change, so a check begun before cannot overwrite a newer one. */
  private generation = 0;
  private readonly emitter = new vscode.EventEmitter<ProviderHealth>();
  readonly onDidChangeHealth = this.emitter.event;
  location?: string;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private settings: () => Settings,
  ) {}

  invalidate(): void {
    this.cache.clear();
    this.inflight.clear();
    this.generation++;
  }

  get(id: ProviderId): Promise<VideoProvider> {
    let p = this.cache.get(id);
    if (!p) {
      p = (async () => {
        const token = (await this.secrets.get(TOKEN_KEY)) || undefined;
        const workspaceDir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        // The provider clients (undici, ws, their zod wire schemas) load with the first health
        // check or render, not at activation.
        const { createProvider } = await import('../core/providers/factory.js');
        // Read first: the first read of the settings also sets `location` (extension.ts).
        const settings = this.settings();
        return createProvider(id, settings, {
          token,
          workspaceDir,
          location: this.location,
          log: (line) => log().info(line),
        });
      })();
      p.catch(() => this.cache.delete(id));
      this.cache.set(id, p);
    }
    return p;
  }

  lastHealth(id: ProviderId): ProviderHealth | undefined {
    return this.health.get(id);
  }

  check(id: ProviderId): Promise<ProviderHealth> {
    const running = this.inflight.get(id);
    if (running) return running;
    const p = this.runCheck(id, this.generation).finally(() => {
      if (this.inflight.get(id) === p) this.inflight.delete(id);
    });
    this.inflight.set(id, p);
    return p;
  }

  private async runCheck(id: ProviderId, generation: number): Promise<ProviderHealth> {
    let h: ProviderHealth;
    try {
      h = await (await this.get(id)).health(AbortSignal.timeout(35_000));
    } catch (e) {
      const err = e as { code?: string; message?: string; hint?: string };
      h = {
        provider: id,
        state: 'down',
        endpoint: '',
        summary: err.message ?? String(e),
        checkedAt: new Date().toISOString(),
        error: {
          code: err.code ?? 'INTERNAL',
          message: err.message ?? String(e),
          ...(err.hint ? { hint: err.hint } : {}),
        },
      };
    }
    const problem = h.problem ?? healthProblem(h);
    if (problem) h = { ...h, problem };
    if (generation !== this.generation) return h; // settings changed meanwhile: a newer check decides
    const prev = this.health.get(id);
    if (prev?.state !== h.state) log().info(`${id} health: ${h.state} — ${h.summary}`);
    this.health.set(id, h);
    this.emitter.fire(h);
    return h;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
