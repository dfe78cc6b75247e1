/** Builds providers from settings (rebuilt when settings or the token change) and tracks health. */
import * as vscode from 'vscode';
import { createProvider } from '../core/providers/factory';
import type { ProviderHealth, ProviderId, VideoProvider } from '../core/providers/types';
import type { Settings } from '../core/settings/schema';
import { log } from './log';

export const TOKEN_KEY = 'sceneToVideo.fastVideo.adapterToken';

export class ProviderHub implements vscode.Disposable {
  private cache = new Map<ProviderId, Promise<VideoProvider>>();
  private readonly health = new Map<ProviderId, ProviderHealth>();
  private readonly emitter = new vscode.EventEmitter<ProviderHealth>();
  readonly onDidChangeHealth = this.emitter.event;
  location?: string;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private settings: () => Settings,
  ) {}

  invalidate(): void {
    this.cache.clear();
  }

  get(id: ProviderId): Promise<VideoProvider> {
    let p = this.cache.get(id);
    if (!p) {
      p = (async () => {
        const token = (await this.secrets.get(TOKEN_KEY)) || undefined;
        const workspaceDir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        return createProvider(id, this.settings(), { token, workspaceDir, location: this.location });
      })();
      p.catch(() => this.cache.delete(id));
      this.cache.set(id, p);
    }
    return p;
  }

  lastHealth(id: ProviderId): ProviderHealth | undefined {
    return this.health.get(id);
  }

  async check(id: ProviderId): Promise<ProviderHealth> {
    let h: ProviderHealth;
    try {
      h = await (await this.get(id)).health(AbortSignal.timeout(35_000));
    } catch (e) {
      const err = e as { code?: string; message?: string; hint?: string };
      h = { provider: id, state: 'down', endpoint: '', summary: err.message ?? String(e), checkedAt: new Date().toISOString(), error: { code: err.code ?? 'INTERNAL', message: err.message ?? String(e), ...(err.hint ? { hint: err.hint } : {}) } };
    }
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
