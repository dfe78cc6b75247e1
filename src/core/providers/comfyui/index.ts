import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { StvError } from '../../errors';
import { comfyUIEndpoints, type ComfyUISettings } from '../../settings/schema';
import type { VideoProvider } from '../types';
import { ComfyUIPool } from './pool';
import { ComfyUIProvider, type ComfyUIProviderOptions } from './provider';
import {
  BUILTIN_BOOKEND_MAPPING,
  BUILTIN_IMAGE_MAPPING,
  BUILTIN_MAPPING,
  builtinBookendWorkflow,
  builtinImageWorkflow,
  builtinWorkflow,
  parseImageMapping,
  parseMapping,
  parseWorkflow,
} from './workflow';
import type { WorkflowPlan } from './bookends';

export { ComfyUIProvider, pickImage, pickVideo, missingRequirements } from './provider';
export { ComfyClient } from './client';
export { ComfyUIPool } from './pool';

/**
 * Builds the provider from settings: the built-in workflow, or the user's with its mapping, on
 * comfyUI.url, or on each server of comfyUI.endpoints behind one pool (one job per server).
 */
export async function createComfyUIProvider(
  cfg: ComfyUISettings,
  opts: { workspaceDir?: string; log?: (line: string) => void } = {},
): Promise<VideoProvider> {
  const options = await providerOptions(cfg, opts);
  const providers = comfyUIEndpoints(cfg).map((url) => new ComfyUIProvider({ ...options, url }));
  const [only] = providers;
  return providers.length === 1 && only ? only : new ComfyUIPool(providers, opts.log);
}

/** What every server's provider shares: the workflow, its mapping, the timeout (all but the URL). */
async function providerOptions(
  cfg: ComfyUISettings,
  opts: { workspaceDir?: string; log?: (line: string) => void },
): Promise<Omit<ComfyUIProviderOptions, 'url'>> {
  const common = {
    clientId: cfg.clientId || undefined,
    timeoutMs: cfg.timeoutSeconds * 1000,
    ...(opts.log ? { log: opts.log } : {}),
  };
  // With the built-in workflow, shots with an end keyframe render with the built-in first-and-last-frame
  // one. A workflow of the user's is never swapped for ours: without end_image it warns END_KEYFRAME_IGNORED.
  const bookendWorkflow = {
    workflow: builtinBookendWorkflow(),
    mapping: BUILTIN_BOOKEND_MAPPING,
    workflowName: 'built-in Wan 2.2 Fun Inpaint 5B (first and last frame)',
  };
  const imageWorkflow = await imageWorkflowFrom(cfg, opts.workspaceDir);
  if (!cfg.workflowPath)
    return {
      ...common,
      imageWorkflow,
      workflow: builtinWorkflow(),
      mapping: BUILTIN_MAPPING,
      workflowName: 'built-in Wan 2.2 TI2V 5B',
      bookendWorkflow,
    };
  const file = path.resolve(opts.workspaceDir ?? process.cwd(), cfg.workflowPath);
  const workflow = parseWorkflow(await readWorkflowFile(file, 'workflow', 'comfyUI.workflowPath'), file);
  if (Object.keys(cfg.mapping).length === 0)
    throw new StvError(
      'WORKFLOW_INVALID',
      `comfyUI.mapping is empty, so nothing says which inputs of ${path.basename(file)} the prompt, keyframe, size and seed fill.`,
      'Add entries like "6:text": "prompt", "52:image": "keyframe_image" (see docs/comfyui.md).',
    );
  return {
    ...common,
    imageWorkflow,
    workflow,
    mapping: parseMapping(cfg.mapping, workflow),
    workflowName: path.basename(file),
  };
}

/**
 * The text-to-image workflow for keyframes: the user's (comfyUI.imageWorkflowPath with
 * comfyUI.imageMapping) or the built-in Wan 2.2 TI2V 5B one at a single frame.
 */
export async function imageWorkflowFrom(cfg: ComfyUISettings, workspaceDir?: string): Promise<WorkflowPlan> {
  if (!cfg.imageWorkflowPath)
    return {
      workflow: builtinImageWorkflow(),
      mapping: BUILTIN_IMAGE_MAPPING,
      workflowName: 'built-in Wan 2.2 TI2V 5B text-to-image (one frame)',
    };
  const file = path.resolve(workspaceDir ?? process.cwd(), cfg.imageWorkflowPath);
  const workflow = parseWorkflow(await readWorkflowFile(file, 'image workflow', 'comfyUI.imageWorkflowPath'), file);
  return { workflow, mapping: parseImageMapping(cfg.imageMapping, workflow), workflowName: path.basename(file) };
}

/** A workflow file's text, or an error naming the file, why, and the setting that points at it. */
async function readWorkflowFile(file: string, what: string, setting: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new StvError(
      'WORKFLOW_INVALID',
      `Cannot read the ComfyUI ${what} ${file}: ${(e as Error).message}`,
      `Fix ${setting} (relative to the workspace folder), or clear it to use the built-in one.`,
    );
  }
}
