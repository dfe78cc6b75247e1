/** Picks and builds a provider: the only place that branches on the provider id. */
import type { Settings } from '../settings/schema';
import { createComfyUIProvider } from './comfyui';
import { createFastVideoProvider } from './fastvideo';
import type { ProviderId, VideoProvider } from './types';

export { outputDirFor } from './outputDir';

export interface ProviderFactoryOptions {
  /** The FastVideo adapter's bearer token (from SecretStorage or STV_ADAPTER_TOKEN). */
  token?: string;
  /** Folder that relative workflow paths resolve against. */
  workspaceDir?: string;
  /** Where the adapter runs, for the status bar tooltip. */
  location?: string;
  /** Receives a line per step of a ComfyUI render (upload, queue, progress, download) with its timing. */
  log?: (line: string) => void;
}

export function createProvider(
  id: ProviderId,
  settings: Settings,
  opts: ProviderFactoryOptions = {},
): Promise<VideoProvider> {
  switch (id) {
    case 'fastvideo-local':
      return Promise.resolve(
        createFastVideoProvider(settings.fastVideo, { token: opts.token, location: opts.location }),
      );
    case 'comfyui-local':
      return createComfyUIProvider(settings.comfyUI, { workspaceDir: opts.workspaceDir, log: opts.log });
  }
}
