/**
 * Which workflow renders one request: a named workflow the timeline selects (version 2), the
 * built-in first-and-last-frame workflow for a shot with an end keyframe when the configured one
 * takes no end image, or the configured one. Kept apart from provider.ts so the choice is testable
 * without a ComfyUI server.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { StvError } from '../../errors';
import type { RenderRequest, RenderWarning } from '../types';
import { parseMapping, parseWorkflow, type Mapping, type Workflow } from './workflow';

export interface WorkflowPlan {
  workflow: Workflow;
  mapping: Mapping;
  workflowName: string;
}

export async function planWorkflow(
  req: RenderRequest,
  configured: WorkflowPlan,
  bookend?: WorkflowPlan,
): Promise<WorkflowPlan> {
  if (req.workflow) {
    let text: string;
    try {
      text = await readFile(req.workflow.file, 'utf8');
    } catch (e) {
      throw new StvError(
        'WORKFLOW_INVALID',
        `Cannot read the timeline's workflow "${req.workflow.name}" (${req.workflow.file}): ${(e as Error).message}`,
        'Fix its "file" in the timeline\'s "workflows" (relative to the timeline file).',
      );
    }
    const workflow = parseWorkflow(text, req.workflow.file);
    return {
      workflow,
      mapping: parseMapping(req.workflow.mapping, workflow),
      workflowName: `${req.workflow.name} (${path.basename(req.workflow.file)})`,
    };
  }
  if (req.endKeyframePath && bookend && !Object.values(configured.mapping).includes('end_image')) return bookend;
  return configured;
}

/** The END_KEYFRAME_IGNORED warning when a request has an end keyframe the plan's mapping does not take. */
export function endKeyframeWarnings(req: RenderRequest, plan: WorkflowPlan): RenderWarning[] {
  if (!req.endKeyframePath || Object.values(plan.mapping).includes('end_image')) return [];
  return [
    {
      code: 'END_KEYFRAME_IGNORED',
      message: `The ${plan.workflowName} workflow has no end_image input in its mapping: the end keyframe was not used (the clip starts on the start keyframe only). Map a first-and-last-frame node's end_image, or clear comfyUI.workflowPath to use the built-in one.`,
    },
  ];
}
