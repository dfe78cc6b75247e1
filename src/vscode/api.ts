/**
 * What activate() returns: a small surface for the integration tests that run inside a real VS
 * Code extension host (test/vscode/suite), and for other extensions.
 */
import type { ProviderHealth } from '../core/providers/types';
import type { RenderQueue } from '../core/render/queue';
import type { Settings } from '../core/settings/schema';
import type { PanelState } from '../protocol/messages';

export interface SceneToVideoApi {
  queue: RenderQueue;
  settings(): Settings;
  refreshHealth(): Promise<ProviderHealth[]>;
  statusBarText(): string;
  adapter: { isRunning(): boolean };
  /** The open scene panel: its timeline and the state it last showed. */
  panel(): { timelineFile: string; state?: PanelState } | undefined;
}
