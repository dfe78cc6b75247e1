/** What every `scene-to-video` command shares: exit codes, the I/O it writes to, the parsed options. */
import type { ProviderId } from '../core/providers/types';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../core/settings/schema';

export const EXIT = { ok: 0, failed: 1, badInput: 2, unreachable: 3, cancelled: 130 } as const;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user presses Ctrl-C. */
  interrupted: Promise<void>;
}

/** The options of render, validate, upgrade, import, health and keyframe (parseArgs in cli.ts). */
export const CLI_OPTIONS = {
  scene: { type: 'string', multiple: true },
  provider: { type: 'string' },
  endpoint: { type: 'string' },
  backend: { type: 'string' },
  output: { type: 'string' },
  out: { type: 'string' },
  workflow: { type: 'string' },
  mapping: { type: 'string' },
  json: { type: 'boolean', default: false },
  'start-adapter': { type: 'boolean', default: false },
  'no-start-adapter': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  // keyframe (issue 21)
  shot: { type: 'string' },
  end: { type: 'boolean', default: false },
  variants: { type: 'string' },
  seed: { type: 'string' },
  pick: { type: 'string' },
} as const;

export interface CliOptions {
  scene?: string[];
  provider?: string;
  endpoint?: string;
  backend?: string;
  output?: string;
  out?: string;
  workflow?: string;
  mapping?: string;
  json?: boolean;
  'start-adapter'?: boolean;
  'no-start-adapter'?: boolean;
  help?: boolean;
  shot?: string;
  end?: boolean;
  variants?: string;
  seed?: string;
  pick?: string;
}

/** One command's view of the command line, after main() has checked the options common to all. */
export interface CliContext {
  io: CliIo;
  o: CliOptions;
  positionals: string[];
  /** The usage text, appended to messages about a missing argument. */
  usage: string;
  err: (line: string) => void;
  token: string | undefined;
  repoRoot: () => string;
}

export type CliCommand = (ctx: CliContext) => Promise<number>;

export interface ComfyWorkflow {
  workflowPath: string;
  mapping: Record<string, string>;
}

export function settingsFor(provider: ProviderId, endpoint: string | undefined, comfy?: ComfyWorkflow): Settings {
  const s = structuredClone(DEFAULT_SETTINGS);
  if (comfy) Object.assign(s.comfyUI, comfy);
  if (endpoint && provider === 'fastvideo-local') s.fastVideo.endpointUrl = endpoint;
  // Several ComfyUI servers as one comma-separated --endpoint: comfyUI.endpoints, as in settings.
  const urls =
    endpoint
      ?.split(',')
      .map((u) => u.trim())
      .filter(Boolean) ?? [];
  if (urls.length === 1 && provider === 'comfyui-local') s.comfyUI.url = urls[0] ?? s.comfyUI.url;
  if (urls.length > 1 && provider === 'comfyui-local') s.comfyUI.endpoints = urls;
  return SettingsSchema.parse(s);
}
