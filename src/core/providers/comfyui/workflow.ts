/**
 * ComfyUI workflows in API format and the mapping that says which input each request field fills
 * (`"nodeId:inputName": "prompt"`), the idea gemDirect1's workflow profiles use. The mapping is
 * checked against the workflow before anything is sent, so a typo names the node, not a 400.
 */
import { z } from 'zod';
import { StvError } from '../../errors';
import type { RenderRequest } from '../types';
import wan22FunInpaint5b from './workflows/wan22_fun_inpaint_5b.json';
import wan22Ti2v5b from './workflows/wan22_ti2v_5b.json';
import wan22Ti2v5bT2i from './workflows/wan22_ti2v_5b_t2i.json';

export const MAPPING_TARGETS = [
  'prompt',
  'negative_prompt',
  'keyframe_image',
  'end_image',
  'width',
  'height',
  'length',
  'fps',
  'seed',
  'steps',
  'filename_prefix',
] as const;
/**
 * gemDirect1's `full_timeline_json` writes its timeline as JSON text into a text input (a metadata
 * writer); we render one scene at a time, so it gets a JSON text of the scene's request. Accepted
 * so imported gemDirect1 profiles work (the settings' list offers it last).
 */
export const GEMDIRECT_TARGETS = ['full_timeline_json'] as const;
export type MappingTarget = (typeof MAPPING_TARGETS)[number] | (typeof GEMDIRECT_TARGETS)[number];
/** gemDirect1's "-- Don't Map --": the entry is ignored. */
const UNMAPPED = new Set(['none', '']);

/** gemDirect1's value names and other common spellings. */
const ALIASES: Record<string, MappingTarget> = {
  human_readable_prompt: 'prompt',
  positive_prompt: 'prompt',
  negative: 'negative_prompt',
  keyframe: 'keyframe_image',
  image: 'keyframe_image',
  start_image: 'keyframe_image',
  last_image: 'end_image',
  end_frame: 'end_image',
  frames: 'length',
  num_frames: 'length',
  frame_count: 'length',
  frame_rate: 'fps',
  noise_seed: 'seed',
};

export const WorkflowSchema = z.record(
  z.string(),
  z
    .object({
      class_type: z.string().min(1),
      inputs: z.record(z.string(), z.unknown()),
      _meta: z.object({ title: z.string().optional() }).loose().optional(),
    })
    .loose(),
);
export type Workflow = z.infer<typeof WorkflowSchema>;
export type Mapping = Record<string, MappingTarget>;

export const BUILTIN_MAPPING: Mapping = {
  '5:text': 'prompt',
  '6:text': 'negative_prompt',
  '4:image': 'keyframe_image',
  '7:width': 'width',
  '7:height': 'height',
  '7:length': 'length',
  '11:fps': 'fps',
  '9:seed': 'seed',
  '9:steps': 'steps',
  '12:filename_prefix': 'filename_prefix',
};

/** The built-in Wan 2.2 TI2V 5B image-to-video workflow (nodes of the official template). */
export function builtinWorkflow(): Workflow {
  return WorkflowSchema.parse(structuredClone(wan22Ti2v5b));
}

/**
 * The built-in first-and-last-frame workflow, for shots with an end keyframe: the nodes of
 * ComfyUI's official template video_wan2_2_5B_fun_inpaint.json (WanFunInpaintToVideo, start and
 * end image, wan2.2_fun_inpaint_5B_bf16.safetensors, cfg 6), at our built-in's size and length.
 */
export function builtinBookendWorkflow(): Workflow {
  return WorkflowSchema.parse(structuredClone(wan22FunInpaint5b));
}

// The bookend workflow keeps the built-in's node ids and adds node 13, the end image.
export const BUILTIN_BOOKEND_MAPPING: Mapping = { ...BUILTIN_MAPPING, '13:image': 'end_image' };

/**
 * The built-in text-to-image workflow for keyframes (issue 21): the built-in video workflow's own
 * nodes and model files, with Wan22ImageToVideoLatent at length 1 and no start image, decoded and
 * saved with SaveImage. ComfyUI 0.3.64 accepts length 1 (comfy_extras/nodes_wan.py:1257, min=1; the
 * step of 4 is a UI hint, not checked) and makes a latent of ((1 - 1) // 4) + 1 = 1 frame (:1268),
 * which the causal Wan 2.2 VAE decodes into one image: a Wan 2.2 user downloads nothing more.
 */
export function builtinImageWorkflow(): Workflow {
  return WorkflowSchema.parse(structuredClone(wan22Ti2v5bT2i));
}

/** The image workflow's length stays 1 (not mapped); its other inputs are the video workflow's node ids. */
export const BUILTIN_IMAGE_MAPPING: Mapping = {
  '5:text': 'prompt',
  '6:text': 'negative_prompt',
  '7:width': 'width',
  '7:height': 'height',
  '9:seed': 'seed',
  '9:steps': 'steps',
  '12:filename_prefix': 'filename_prefix',
};

/** What an image workflow's mapping may fill: no keyframe, end image, length or fps (one still from the prompt). */
const IMAGE_TARGETS: ReadonlySet<MappingTarget> = new Set([
  'prompt',
  'negative_prompt',
  'width',
  'height',
  'seed',
  'steps',
  'filename_prefix',
  'full_timeline_json',
]);

/** parseMapping for a text-to-image workflow: also refuses targets a still from a prompt has no value for. */
export function parseImageMapping(raw: Record<string, string>, workflow: Workflow): Mapping {
  const mapping = parseMapping(raw, workflow);
  const wrong = Object.entries(mapping).filter(([, t]) => !IMAGE_TARGETS.has(t));
  if (wrong.length)
    throw new StvError(
      'WORKFLOW_INVALID',
      `The ComfyUI image mapping maps ${wrong.map(([k, t]) => `"${k}" to "${t}"`).join(', ')}, which a keyframe drawn from a prompt has no value for.`,
      `Map only ${[...IMAGE_TARGETS].join(', ')} in comfyUI.imageMapping.`,
    );
  if (!Object.values(mapping).includes('prompt'))
    throw new StvError(
      'WORKFLOW_INVALID',
      'The ComfyUI image mapping maps no input to "prompt", so the keyframe would not follow the shot.',
      'Add the positive prompt\'s text input, e.g. "6:text": "prompt", to comfyUI.imageMapping.',
    );
  return mapping;
}

/** Parses a workflow file's text; refuses the UI format ("nodes"/"links") with the fix. */
export function parseWorkflow(text: string, source: string): Workflow {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new StvError(
      'WORKFLOW_INVALID',
      `${source} is not valid JSON: ${(e as Error).message}`,
      'Export the workflow from ComfyUI with Workflow → Export (API).',
    );
  }
  if (data && typeof data === 'object' && 'nodes' in data && 'links' in data)
    throw new StvError(
      'WORKFLOW_INVALID',
      `${source} is a ComfyUI UI workflow, not the API format.`,
      'In ComfyUI use Workflow → Export (API) and point comfyUI.workflowPath at that file.',
    );
  const r = WorkflowSchema.safeParse(data);
  if (!r.success || Object.keys(r.data).length === 0)
    throw new StvError(
      'WORKFLOW_INVALID',
      `${source} is not an API-format workflow (expected {"<nodeId>": {"class_type", "inputs"}}).`,
      'Export it with Workflow → Export (API).',
    );
  return r.data;
}

/** A mapping value as one of our targets; null for "not mapped"; undefined for an unknown name. */
export function mappingTarget(value: string): MappingTarget | null | undefined {
  if (UNMAPPED.has(value)) return null;
  return ([...MAPPING_TARGETS, ...GEMDIRECT_TARGETS] as readonly string[]).includes(value)
    ? (value as MappingTarget)
    : ALIASES[value];
}

/** Validates a mapping against a workflow; every problem is named. */
export function parseMapping(raw: Record<string, string>, workflow: Workflow): Mapping {
  const problems: string[] = [];
  const mapping: Mapping = {};
  for (const [key, value] of Object.entries(raw)) {
    const target = mappingTarget(value);
    if (target === null) continue;
    const [nodeId, input, ...extra] = key.split(':');
    if (!nodeId || !input || extra.length) {
      problems.push(`"${key}" is not "<nodeId>:<inputName>"`);
      continue;
    }
    if (!target) {
      problems.push(`"${key}" maps to "${value}", which is not one of ${MAPPING_TARGETS.join(', ')}`);
      continue;
    }
    const node = workflow[nodeId];
    if (!node) {
      problems.push(`"${key}": the workflow has no node ${nodeId}`);
      continue;
    }
    if (!(input in node.inputs)) {
      problems.push(
        `"${key}": node ${nodeId} (${node.class_type}) has no input "${input}" (it has ${Object.keys(node.inputs).join(', ')})`,
      );
      continue;
    }
    mapping[`${nodeId}:${input}`] = target;
  }
  if (problems.length)
    throw new StvError(
      'WORKFLOW_INVALID',
      `The ComfyUI mapping does not fit the workflow: ${problems.join('; ')}.`,
      'Fix comfyUI.mapping (keys are "<nodeId>:<inputName>" of the API-format workflow).',
    );
  return mapping;
}

export interface FillValues {
  request: RenderRequest;
  /** The name ComfyUI gave the uploaded keyframe (`subfolder/name`). */
  keyframeName?: string;
  /** The name ComfyUI gave the uploaded end keyframe (bookends). */
  endKeyframeName?: string;
  filenamePrefix: string;
}

/** A copy of the workflow with every mapped input set from the request. */
export function fillWorkflow(workflow: Workflow, mapping: Mapping, v: FillValues): Workflow {
  const out = structuredClone(workflow);
  const r = v.request;
  const values: Record<MappingTarget, unknown> = {
    prompt: r.prompt,
    negative_prompt: r.negativePrompt ?? '',
    keyframe_image: v.keyframeName,
    end_image: v.endKeyframeName,
    width: r.width,
    height: r.height,
    length: r.numFrames,
    fps: r.fps,
    seed: r.seed,
    steps: r.steps,
    filename_prefix: v.filenamePrefix,
    full_timeline_json: JSON.stringify({
      sceneId: r.sceneId,
      prompt: r.prompt,
      negativePrompt: r.negativePrompt ?? '',
      width: r.width,
      height: r.height,
      numFrames: r.numFrames,
      fps: r.fps,
      seed: r.seed,
      ...(r.steps !== undefined ? { steps: r.steps } : {}),
    }),
  };
  for (const [key, target] of Object.entries(mapping)) {
    const [nodeId, input] = key.split(':') as [string, string];
    const value = values[target];
    if (value === undefined) {
      if (target === 'keyframe_image')
        throw new StvError(
          'KEYFRAME_MISSING',
          'This ComfyUI workflow needs a keyframe image, and the scene has none.',
          'Add "keyframe" to the scene, or use a workflow without an image input.',
        );
      if (target === 'end_image')
        throw new StvError(
          'KEYFRAME_MISSING',
          'This ComfyUI workflow is a first-and-last-frame workflow and needs an end keyframe, and the shot has none.',
          'Add "keyframes": { "start": ..., "end": ... } to the shot, or render it with a workflow that takes only a start image.',
        );
      continue; // e.g. steps: keep the workflow's own value
    }
    (out[nodeId] as Workflow[string]).inputs[input] = value;
  }
  return out;
}

/** Node types a workflow uses. */
export function nodeTypes(workflow: Workflow): string[] {
  return [...new Set(Object.values(workflow).map((n) => n.class_type))].sort();
}

/** Where ComfyUI's loaders look for their files, to say where a missing model goes. */
export const MODEL_FOLDERS: Record<string, string> = {
  UNETLoader: 'models/diffusion_models',
  CLIPLoader: 'models/text_encoders',
  DualCLIPLoader: 'models/text_encoders',
  VAELoader: 'models/vae',
  CheckpointLoaderSimple: 'models/checkpoints',
  LoraLoader: 'models/loras',
  LoraLoaderModelOnly: 'models/loras',
  CLIPVisionLoader: 'models/clip_vision',
};
