// TEMPORARY while the ComfyUI provider is written (same session); not committed in this form.
import type { ComfyUISettings } from '../../settings/schema';
import type { VideoProvider } from '../types';
export function createComfyUIProvider(_cfg: ComfyUISettings, _opts: { workspaceDir?: string } = {}): Promise<VideoProvider> {
  return Promise.reject(new Error('not yet'));
}
