import type { FastVideoSettings } from '../../settings/schema';
import type { VideoProvider } from '../types';
import { FastVideoProvider } from './provider';

export { FastVideoProvider } from './provider';
export { AdapterClient } from './client';

export function createFastVideoProvider(
  cfg: FastVideoSettings,
  opts: { token?: string; location?: string },
): VideoProvider {
  return new FastVideoProvider({
    endpoint: cfg.endpointUrl,
    token: opts.token,
    location: opts.location,
    requestTimeoutMs: 30_000,
    renderTimeoutMs: cfg.requestTimeoutSeconds * 1000,
  });
}
