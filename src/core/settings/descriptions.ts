/**
 * A machine-readable description of every setting, for package.json's contributes.configuration.
 * Type, default, enum and bounds are derived from the zod model (schema.ts), so the manifest can
 * only agree with what readSettings() accepts; the words live here. test/unit/settings.test.ts
 * compares manifestConfiguration() with package.json and fails when either drifts.
 */
import { z } from 'zod';
import { GEMDIRECT_TARGETS, MAPPING_TARGETS } from '../providers/comfyui/workflow';
import {
  ComfyUISettingsSchema,
  FASTWAN_MODEL,
  FastVideoSettingsSchema,
  KEYFRAME_FAITHFUL_MODEL,
  SettingsSchema,
} from './schema';

export type SettingSection = 'Scene to Video' | 'FastVideo adapter' | 'ComfyUI';

/** One setting, in the vocabulary of VS Code's configuration contribution. */
export interface SettingDescription {
  /** Full key as VS Code reads it, e.g. "fastVideo.width". */
  key: string;
  section: SettingSection;
  type: 'string' | 'integer' | 'boolean' | 'object' | 'array';
  default: unknown;
  description: string;
  enum?: string[];
  enumDescriptions?: string[];
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  format?: 'uri';
  additionalProperties?: { type: 'string'; enum?: string[] };
  /** The element of an array setting, e.g. a URL for comfyUI.endpoints. */
  items?: { type: 'string'; format?: 'uri' };
  /** Ignored in untrusted workspaces: it starts a process or points at code/models to load. */
  restricted: boolean;
  /** 'application': a user setting only (VS Code ignores workspace values), e.g. one that writes user settings. */
  scope?: 'application';
}

/** A property of contributes.configuration[].properties, exactly as package.json holds it. */
export type ManifestProperty = Omit<SettingDescription, 'key' | 'section' | 'restricted'>;

/** FastVideo models the settings UI offers (any other id is still accepted by the model). */
export const KNOWN_FASTVIDEO_MODELS = [
  FASTWAN_MODEL,
  'FastVideo/FastWan2.2-TI2V-5B-FullAttn-Diffusers',
  KEYFRAME_FAITHFUL_MODEL,
] as const;

interface Words {
  description: string;
  enumDescriptions?: string[];
  /** Suggested values shown as a drop-down even though the zod model takes any string. */
  suggest?: readonly string[];
  additionalProperties?: SettingDescription['additionalProperties'];
  restricted?: boolean;
  scope?: SettingDescription['scope'];
}

const TOP: Record<'videoProvider' | 'healthCheckIntervalSeconds' | 'ffmpegPath' | 'openTimelinesInEditor', Words> = {
  videoProvider: {
    description: 'Which provider renders scenes (a timeline or scene can override it).',
    enumDescriptions: [
      'A ComfyUI server running the Wan 2.2 TI2V 5B workflow (built in) or your own workflow.',
      'The FastVideo adapter (FastWan2.2-TI2V-5B), started by the extension or already running.',
    ],
  },
  healthCheckIntervalSeconds: {
    description:
      "How often the status bar re-checks the active provider's health, in seconds (0: only on demand, on settings changes and after renders).",
  },
  ffmpegPath: {
    description:
      "The ffmpeg that assembles timelines and extracts continuity keyframes. Empty: the one the imageio-ffmpeg package ships in the adapter's Python environment (python/.venv).",
    restricted: true,
  },
  openTimelinesInEditor: {
    description:
      'Open *.timeline.json files in the Scene to Video timeline editor instead of the JSON text editor (sets workbench.editorAssociations in your user settings, at start-up and when this changes; a user setting only, so no workspace can change which editor your other folders use; "Open With…" still offers both).',
    scope: 'application',
  },
};

const FAST_VIDEO: Record<keyof typeof FastVideoSettingsSchema.shape, Words> = {
  endpointUrl: {
    description:
      'URL of the FastVideo adapter. If it answers, the extension attaches to it (it may run on another machine); otherwise "Start FastVideo adapter" runs one on this port.',
    // The adapter's token goes wherever this points, and so do the prompts and keyframes: an
    // untrusted workspace must not be able to send them to a server of its choosing.
    restricted: true,
  },
  modelId: {
    description: 'The model the adapter loads when the extension starts it.',
    suggest: KNOWN_FASTVIDEO_MODELS,
    enumDescriptions: [
      'FastWan 5B: 3 steps, fast; ignores the keyframe.',
      'The same model as published on the hub.',
      'Wan 2.2 TI2V 5B base: 50 steps, slower; follows the keyframe.',
    ],
  },
  modelPath: {
    description: 'A local model folder (overrides the model id lookup in FASTVIDEO_HOME and the Hugging Face cache).',
    restricted: true,
  },
  fps: { description: 'Frames per second for scenes whose timeline does not set fps.' },
  numFrames: { description: 'Frame count (4k+1; 121 = 5 s at 24 fps) for scenes whose timeline does not set it.' },
  width: { description: 'Width in pixels (a multiple of 16) for scenes whose timeline does not set it.' },
  height: { description: 'Height in pixels (a multiple of 16) for scenes whose timeline does not set it.' },
  seed: {
    description:
      "Seed for scenes without one (-1: the timeline's seed policy decides). Every seed used is recorded in the render's sidecar.",
  },
  outputDir: {
    description: "Folder for FastVideo renders, relative to the timeline's folder; each scene gets a subfolder.",
  },
  attentionBackend: {
    description:
      "Attention backend for the adapter the extension starts (auto: FastVideo's choice for the model; VIDEO_SPARSE_ATTN needs the Linux-only fastvideo-kernel).",
  },
  pythonPath: {
    description:
      "Python of the adapter's environment. Empty: the workspace's python/.venv, then ~/.scene-to-video/venv (what the set-up creates). In WSL mode, a Linux path inside the distribution (default ~/.scene-to-video/venv/bin/python).",
    restricted: true,
  },
  autoStart: {
    description: 'Start the adapter automatically when a render needs it and nothing answers at fastVideo.endpointUrl.',
    restricted: true,
  },
  backend: {
    description: 'Backend of the adapter the extension starts.',
    enumDescriptions: [
      'FastVideo on the GPU.',
      'CPU preview: animates the keyframe with a camera move. Not AI; for drafts and testing.',
    ],
  },
  launch: {
    description:
      'Where the extension starts the adapter: natively, or inside WSL2 (auto: WSL on Windows when it is installed, native elsewhere).',
    restricted: true,
  },
  wslDistro: { description: 'WSL distribution for the adapter (empty: the default distribution).', restricted: true },
  requestTimeoutSeconds: { description: 'How long a single render may take before it is cancelled.' },
  cpuOffload: { description: 'Offload the DiT, VAE and text encoder to the CPU between uses (needed on 16 GB cards).' },
};

const COMFY_UI: Record<keyof typeof ComfyUISettingsSchema.shape, Words> = {
  // Renders send the keyframes and prompts to these servers: an untrusted workspace cannot choose them.
  url: { description: 'URL of the ComfyUI server (used when comfyUI.endpoints is empty).', restricted: true },
  endpoints: {
    description:
      'Several ComfyUI servers to render on, e.g. ["http://127.0.0.1:8188", "http://127.0.0.1:8189"]: each takes one job at a time, so N servers render N scenes at once, and a job whose server goes away moves once to another. When this list is not empty it replaces comfyUI.url (see docs/comfyui-servers.md).',
    restricted: true,
  },
  clientId: { description: 'client_id sent with prompts (empty: a new one per session).' },
  workflowPath: {
    description:
      'An API-format workflow file (Workflow → Export (API)), relative to the workspace. Empty: the built-in Wan 2.2 TI2V 5B image-to-video workflow.',
    restricted: true,
  },
  mapping: {
    description:
      'For your own workflow: which input each scene value fills, as "<nodeId>:<inputName>": "prompt" (see docs/comfyui.md).',
    additionalProperties: { type: 'string', enum: [...MAPPING_TARGETS, ...GEMDIRECT_TARGETS] },
  },
  imageWorkflowPath: {
    description:
      'An API-format text-to-image workflow for "Generate keyframe", ending in SaveImage, relative to the workspace. Empty: the built-in Wan 2.2 TI2V 5B single-frame workflow (the video models, nothing more to download).',
    restricted: true,
  },
  imageMapping: {
    description:
      'For your own image workflow: which input each value fills, as "<nodeId>:<inputName>": "prompt" (prompt, negative_prompt, width, height, seed, steps, filename_prefix; see docs/keyframes.md).',
    additionalProperties: { type: 'string', enum: [...MAPPING_TARGETS, ...GEMDIRECT_TARGETS] },
  },
  outputDir: {
    description: "Folder for ComfyUI renders, relative to the timeline's folder; each scene gets a subfolder.",
  },
  timeoutSeconds: { description: 'How long a single render may take before it is cancelled on the server.' },
};

/** Type, default, enum and bounds of one zod field, read from its JSON Schema. */
function fromZod(
  field: z.ZodType,
): Pick<SettingDescription, 'type' | 'default' | 'enum' | 'minimum' | 'maximum' | 'multipleOf' | 'format' | 'items'> {
  const js = z.toJSONSchema(field, { io: 'input' }) as Record<string, unknown>;
  const type = js.type;
  if (type !== 'string' && type !== 'integer' && type !== 'boolean' && type !== 'object' && type !== 'array')
    throw new Error(`setting type ${String(type)} has no VS Code equivalent`);
  const items = js.items as Record<string, unknown> | undefined;
  if (type === 'array' && items?.type !== 'string') throw new Error('only arrays of strings have a VS Code equivalent');
  return {
    type,
    default: js.default,
    ...(type === 'array'
      ? { items: { type: 'string' as const, ...(items?.format === 'uri' ? { format: 'uri' as const } : {}) } }
      : {}),
    ...(Array.isArray(js.enum) ? { enum: js.enum as string[] } : {}),
    ...(typeof js.minimum === 'number' ? { minimum: js.minimum } : {}),
    ...(typeof js.maximum === 'number' ? { maximum: js.maximum } : {}),
    ...(typeof js.multipleOf === 'number' ? { multipleOf: js.multipleOf } : {}),
    ...(js.format === 'uri' ? { format: 'uri' as const } : {}),
  };
}

function describeGroup(
  section: SettingSection,
  prefix: string,
  shape: Record<string, z.ZodType>,
  words: Record<string, Words>,
): SettingDescription[] {
  return Object.entries(words).map(([field, w]) => {
    const schema = shape[field];
    if (!schema) throw new Error(`no setting ${prefix}.${field} in the settings model`);
    const derived = fromZod(schema);
    const enumValues = derived.enum ?? (w.suggest ? [...w.suggest] : undefined);
    return {
      key: `${prefix}.${field}`,
      section,
      ...derived,
      ...(enumValues ? { enum: enumValues } : {}),
      ...(w.enumDescriptions ? { enumDescriptions: w.enumDescriptions } : {}),
      ...(w.additionalProperties ? { additionalProperties: w.additionalProperties } : {}),
      description: w.description,
      ...(w.scope ? { scope: w.scope } : {}),
      restricted: w.restricted ?? false,
    };
  });
}

export const SETTING_DESCRIPTIONS: readonly SettingDescription[] = [
  ...describeGroup('Scene to Video', 'sceneToVideo', SettingsSchema.shape, TOP),
  ...describeGroup('FastVideo adapter', 'fastVideo', FastVideoSettingsSchema.shape, FAST_VIDEO),
  ...describeGroup('ComfyUI', 'comfyUI', ComfyUISettingsSchema.shape, COMFY_UI),
];

/** contributes.configuration as package.json should hold it: one section per settings group. */
export function manifestConfiguration(): { title: SettingSection; properties: Record<string, ManifestProperty> }[] {
  const sections: SettingSection[] = ['Scene to Video', 'FastVideo adapter', 'ComfyUI'];
  return sections.map((title) => ({
    title,
    properties: Object.fromEntries(
      SETTING_DESCRIPTIONS.filter((d) => d.section === title).map((d) => {
        const { key, section: _section, restricted: _restricted, ...property } = d;
        return [key, property];
      }),
    ),
  }));
}

/** capabilities.untrustedWorkspaces.restrictedConfigurations. */
export function restrictedSettingKeys(): string[] {
  return SETTING_DESCRIPTIONS.filter((d) => d.restricted).map((d) => d.key);
}
