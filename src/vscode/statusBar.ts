/** One status-bar item: the active provider and its health; click to switch provider. */
import * as vscode from 'vscode';
import type { ProviderId } from '../core/providers/types';
import type { ProviderHub } from './providerHub';
import { PROVIDER_LABEL, RESTRICTED_MODE_NOTE, statusText, statusTooltip } from './statusFormat';

export class ProviderStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private timer?: NodeJS.Timeout;
  private active: ProviderId;
  text = '';

  /** Whether the user picked the active provider (settings say so), rather than it being the default. */
  private chosen: boolean;

  constructor(
    private readonly hub: ProviderHub,
    active: ProviderId,
    chosen = true,
  ) {
    this.active = active;
    this.chosen = chosen;
    this.item = vscode.window.createStatusBarItem('sceneToVideo.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Scene to Video provider';
    this.item.command = 'sceneToVideo.switchProvider';
    this.render();
    this.item.show();
    hub.onDidChangeHealth((h) => h.provider === this.active && this.render());
  }

  setActive(id: ProviderId, chosen = true): void {
    this.active = id;
    this.chosen = chosen;
    this.render();
  }

  /** `checking`: a re-check after a settings change is under way, so the last state may be stale. */
  render(checking = false): void {
    const last = this.hub.lastHealth(this.active);
    const h = checking && last ? { ...last, state: 'checking' as const } : last;
    this.text = statusText(this.active, h, this.chosen);
    this.item.text = this.text;
    const notes: string[] = vscode.workspace.isTrusted ? [] : [RESTRICTED_MODE_NOTE];
    if (!this.chosen)
      notes.push(
        `${PROVIDER_LABEL[this.active]} is the default provider; no provider has been chosen yet. Click to choose one (each shows its health).`,
      );
    const md = new vscode.MarkdownString(statusTooltip(this.active, h, notes));
    this.item.tooltip = md;
    const flagged = this.chosen ? h?.state : undefined;
    this.item.backgroundColor =
      flagged === 'down'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : flagged === 'degraded'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.accessibilityInformation = {
      label: `Scene to Video: ${this.text.replace(/\$\([^)]*\)\s*/g, '')}. Click to switch provider.`,
    };
  }

  /** Re-checks now (showing "checking") and then every `seconds` (0: only on demand). */
  schedule(seconds: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    void this.refresh({ showChecking: true });
    if (seconds > 0) this.timer = setInterval(() => void this.refresh(), seconds * 1000);
  }

  async refresh(opts: { showChecking?: boolean } = {}): Promise<void> {
    if (opts.showChecking || !this.hub.lastHealth(this.active)) this.render(true);
    await this.hub.check(this.active);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.item.dispose();
  }
}
