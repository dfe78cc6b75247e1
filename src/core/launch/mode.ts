import { isLoopbackUrl } from '../net/loopback';
/** Native or WSL: where the adapter runs, and how the status bar says so. */
export type LaunchMode = 'native' | 'wsl';

export interface ModeChoice {
  mode: LaunchMode;
  /** Why, when the user should know (e.g. FastVideo cannot run natively on Windows). */
  note?: string;
}

export function chooseLaunchMode(
  setting: 'auto' | 'native' | 'wsl',
  platform: NodeJS.Platform,
  wslPresent: boolean,
): ModeChoice {
  if (setting === 'native')
    return {
      mode: 'native',
      ...(platform === 'win32'
        ? {
            note: 'FastVideo does not run natively on Windows; only the preview backend will work (see docs/setup-windows.md).',
          }
        : {}),
    };
  if (setting === 'wsl')
    return platform === 'win32'
      ? { mode: 'wsl' }
      : {
          mode: 'native',
          note: `fastVideo.launch is "wsl", which applies on Windows only; on ${platform} the adapter runs natively.`,
        };
  if (platform === 'win32') {
    return wslPresent
      ? { mode: 'wsl' }
      : {
          mode: 'native',
          note: 'WSL is not installed: the adapter runs natively, where FastVideo cannot run (preview backend only). Install WSL2 with `wsl --install` for the GPU path.',
        };
  }
  return { mode: 'native' };
}

export function describeLocation(mode: LaunchMode, distro?: string): string {
  return mode === 'wsl' ? `WSL2: ${distro || 'default distribution'}` : 'native';
}

/**
 * Where an adapter the extension attaches to runs, as far as settings tell without probing:
 * "remote" for a non-loopback endpoint; on Windows with launch "auto" it depends on whether WSL is
 * installed, which only starting the adapter finds out (undefined).
 */
export function attachedLocation(
  endpointUrl: string,
  setting: 'auto' | 'native' | 'wsl',
  platform: NodeJS.Platform,
  distro?: string,
): string | undefined {
  if (!isLoopbackUrl(endpointUrl)) return 'remote';
  if (platform === 'win32' && setting === 'auto') return undefined;
  return describeLocation(chooseLaunchMode(setting, platform, false).mode, distro);
}
