/**
 * Where renders of a provider land. Apart from factory.ts (which re-exports it) because the render
 * controller needs it at activation, and factory.ts pulls in both provider clients (undici, ws, their
 * zod wire schemas), which load only when a provider is first used (src/vscode/providerHub.ts).
 */
import type { Settings } from '../settings/schema';
import type { ProviderId } from './types';

/** The folder (relative to the timeline, unless absolute) where renders of this provider land. */
export function outputDirFor(id: ProviderId, settings: Settings): string {
  switch (id) {
    case 'fastvideo-local':
      return settings.fastVideo.outputDir;
    case 'comfyui-local':
      return settings.comfyUI.outputDir;
  }
}
