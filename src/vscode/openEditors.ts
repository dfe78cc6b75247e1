/**
 * The open timeline editors, without their code: extension.ts (settings and trust changes, the
 * API, deactivate) needs the set at activation, while the editor itself (panel.ts, its zod message
 * schemas, the authoring edits) is imported only when the first timeline editor opens.
 */
import type { PanelState } from '../protocol/messages';

export interface OpenEditor {
  readonly timelineFile: string;
  readonly shownState: PanelState | undefined;
  pushState(): Promise<void>;
  dispose(): void;
}

export const openEditors = {
  all: new Set<OpenEditor>(),
  /** The editor last active (what the API and the in-host tests see). */
  current: undefined as OpenEditor | undefined,
};
