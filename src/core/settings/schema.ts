/**
 * Every setting Scene to Video reads, typed, with defaults. VS Code's configuration, the CLI's
 * flags and gemDirect1's localGenSettings.json all end up here; package.json's
 * contributes.configuration mirrors SETTING_DESCRIPTIONS in descriptions.ts (test/unit/settings.test.ts
 * keeps them in step).
 */
import { z } from 'zod';
import { PROVIDER_IDS } from '../providers/types';
import { describeFramesProblem, describeSideProblem } from '../timeline/validSizes';
import { FASTWAN_MODEL } from './models';

export { FASTWAN_MODEL, KEYFRAME_FAITHFUL_MODEL } from './models';
export const ATTENTION_BACKENDS = ['auto', 'FLASH_ATTN', 'TORCH_SDPA', 'SAGE_ATTN', 'VIDEO_SPARSE_ATTN'] as const;

const httpUrl = (d: string) =>
  z.url({ protocol: /^https?$/, error: `must be an http:// or https:// URL, e.g. ${d}` }).default(d);
const side = (d: number) => z.int().min(256).max(1920).multipleOf(16).default(d);

export const FastVideoSettingsSchema = z.object({
  endpointUrl: httpUrl('http://127.0.0.1:8055'),
  modelId: z.string().min(1).default(FASTWAN_MODEL),
  modelPath: z.string().default(''),
  fps: z.int().min(1).max(60).default(24),
  numFrames: z
    .int()
    .min(5)
    .max(241)
    .refine((n) => (n - 1) % 4 === 0, 'must be 4k+1 (e.g. 33, 81, 121)')
    .default(121),
  width: side(1280),
  height: side(704),
  seed: z.int().min(-1).max(4_294_967_295).default(-1),
  outputDir: z.string().min(1).default('renders'),
  attentionBackend: z.enum(ATTENTION_BACKENDS).default('auto'),
  pythonPath: z.string().default(''),
  autoStart: z.boolean().default(false),
  backend: z.enum(['fastvideo', 'preview']).default('fastvideo'),
  launch: z.enum(['auto', 'native', 'wsl']).default('auto'),
  wslDistro: z.string().default(''),
  requestTimeoutSeconds: z.int().min(10).max(86_400).default(1800),
  cpuOffload: z.boolean().default(true),
});

/** One ComfyUI server in comfyUI.endpoints: the same rule as comfyUI.url (http or https, any host). */
const comfyEndpoint = z.url({
  protocol: /^https?$/,
  error: 'each endpoint must be an http:// or https:// URL, e.g. http://127.0.0.1:8189',
});

export const ComfyUISettingsSchema = z.object({
  url: httpUrl('http://127.0.0.1:8188'),
  // Several servers, one job each at a time (pool.ts); empty means comfyUI.url alone (comfyUIEndpoints).
  endpoints: z.array(comfyEndpoint).max(64).default([]),
  clientId: z.string().default(''),
  workflowPath: z.string().default(''),
  mapping: z.record(z.string(), z.string()).default({}),
  // Keyframes from prompts (issue 21): the user's own text-to-image workflow; empty, the built-in one.
  imageWorkflowPath: z.string().default(''),
  imageMapping: z.record(z.string(), z.string()).default({}),
  outputDir: z.string().min(1).default('renders'),
  timeoutSeconds: z.int().min(10).max(86_400).default(1800),
});

export const SettingsSchema = z.object({
  videoProvider: z.enum(PROVIDER_IDS).default('comfyui-local'),
  healthCheckIntervalSeconds: z.int().min(0).max(3600).default(30),
  // The cut's ffmpeg (core/ffmpeg): empty means imageio-ffmpeg's, from the adapter's environment.
  ffmpegPath: z.string().default(''),
  // The timeline editor as the default for *.timeline.json (src/vscode/editorAssociation.ts).
  openTimelinesInEditor: z.boolean().default(false),
  fastVideo: FastVideoSettingsSchema.prefault({}),
  comfyUI: ComfyUISettingsSchema.prefault({}),
});

export type Settings = z.infer<typeof SettingsSchema>;
export type FastVideoSettings = Settings['fastVideo'];
export type ComfyUISettings = Settings['comfyUI'];
export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});

/**
 * The ComfyUI servers to render on: comfyUI.endpoints when it lists any, else comfyUI.url alone.
 * The one place the two settings combine. Duplicates (a trailing slash apart) count once, so a
 * server listed twice never gets two jobs at a time.
 */
export function comfyUIEndpoints(cfg: Pick<ComfyUISettings, 'url' | 'endpoints'>): string[] {
  const listed = cfg.endpoints.length > 0 ? cfg.endpoints : [cfg.url];
  const seen = new Set<string>();
  return listed.filter((u) => {
    const key = u.replace(/\/+$/, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface SettingProblem {
  /** Full key, e.g. "fastVideo.width". */
  key: string;
  message: string;
}

/** A bad value described for a person: what is wrong, what was given and what is used instead. */
function settingProblem(key: string, value: unknown, error: z.ZodError, fallback: unknown): SettingProblem {
  const field = key.slice(key.indexOf('.') + 1);
  let why = error.issues[0]?.message ?? 'invalid value';
  if ((field === 'width' || field === 'height') && typeof value === 'number') why = describeSideProblem(field, value);
  else if (field === 'numFrames' && typeof value === 'number') why = describeFramesProblem(value);
  const issuePath = error.issues[0]?.path.filter((k) => typeof k !== 'symbol') ?? [];
  const where = issuePath.length ? ` (at ${issuePath.map(String).join('.')})` : '';
  let given: string;
  try {
    given = JSON.stringify(value)?.slice(0, 80) ?? String(value);
  } catch {
    given = typeof value;
  }
  return {
    key,
    message: `Setting ${key} = ${given} is not valid${where}: ${why.replace(/\.$/, '')}. Using the default, ${JSON.stringify(fallback)}.`,
  };
}

/**
 * Builds Settings from a flat getter (VS Code's `configuration.get('fastVideo.width')`). A bad
 * value is reported and replaced by its default rather than breaking every command; this never
 * throws, whatever the getter returns (or throws).
 */
export function readSettings(get: (key: string) => unknown): { settings: Settings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const read = (key: string): unknown => {
    try {
      return get(key);
    } catch (e) {
      problems.push({
        key,
        message: `Setting ${key} could not be read (${e instanceof Error ? e.message : String(e)}); using the default.`,
      });
      return undefined;
    }
  };
  const pick = (
    shape: Record<string, z.ZodType>,
    prefix: string,
    defaults: Record<string, unknown>,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [field, fieldSchema] of Object.entries(shape)) {
      const key = `${prefix}.${field}`;
      const value = read(key);
      if (value === undefined || value === null) continue;
      const r = fieldSchema.safeParse(value);
      if (r.success) out[field] = r.data;
      else problems.push(settingProblem(key, value, r.error, defaults[field]));
    }
    return out;
  };
  const top = pick(
    {
      videoProvider: SettingsSchema.shape.videoProvider,
      healthCheckIntervalSeconds: SettingsSchema.shape.healthCheckIntervalSeconds,
      ffmpegPath: SettingsSchema.shape.ffmpegPath,
      openTimelinesInEditor: SettingsSchema.shape.openTimelinesInEditor,
    },
    'sceneToVideo',
    DEFAULT_SETTINGS,
  );
  const settings = SettingsSchema.parse({
    ...top,
    fastVideo: pick(FastVideoSettingsSchema.shape, 'fastVideo', DEFAULT_SETTINGS.fastVideo),
    comfyUI: pick(ComfyUISettingsSchema.shape, 'comfyUI', DEFAULT_SETTINGS.comfyUI),
  });
  return { settings, problems };
}
