/** One status-bar item: the active provider and its health; click to switch provider. */
import * as vscode from 'vscode';
import type { ProviderId } from '../core/providers/types';
import type { ProviderHub } from './providers';
import { statusText, statusTooltip } from './statusFormat';

export class ProviderStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private timer?: NodeJS.Timeout;
  private active: ProviderId;
  text = '';

  constructor(
    private readonly hub: ProviderHub,
    active: ProviderId,
  ) {
    this.active = active;
    this.item = vscode.window.createStatusBarItem('sceneToVideo.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Scene to Video provider';
    this.item.command = 'sceneToVideo.switchProvider';
    this.render();
    this.item.show();
    hub.onDidChangeHealth((h) => h.provider === this.active && this.render());
  }

  setActive(id: ProviderId): void {
    this.active = id;
    this.render();
  }

  render(): void {
    const h = this.hub.lastHealth(this.active);
    this.text = statusText(this.active, h);
    this.item.text = this.text;
    const md = new vscode.MarkdownString(statusTooltip(this.active, h));
    this.item.tooltip = md;
    this.item.backgroundColor = h?.state === 'down' ? new vscode.ThemeColor('statusBarItem.errorBackground') : h?.state === 'degraded' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = { label: `Scene to Video: ${this.text.replace(/\$\([^)]*\)\s*/g, '')}. Click to switch provider.` };
  }

  /** Re-checks now and then every `seconds` (0: only on demand). */
  schedule(seconds: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    void this.refresh();
    if (seconds > 0) this.timer = setInterval(() => void this.refresh(), seconds * 1000);
  }

  async refresh(): Promise<void> {
    if (!this.hub.lastHealth(this.active)) this.render();
    await this.hub.check(this.active);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.item.dispose();
  }
}
