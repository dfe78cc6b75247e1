/**
 * The JSON Schema editors use for *.timeline.json (contributes.jsonValidation), generated from the
 * zod schema so the two cannot drift. media/timeline.schema.json is this function's output,
 * written by scripts/generate-schema.mjs and checked by a unit test.
 */
import { z } from 'zod';
import { TimelineSchema } from './schema';

export function timelineJsonSchema(): Record<string, unknown> {
  // io: 'input' describes what users write (defaults are optional there), not the parsed output.
  const schema = z.toJSONSchema(TimelineSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://scene-to-video.invalid/schemas/timeline-v2.json',
    title: 'Scene to Video timeline (version 2; version 1 still loads)',
  };
}

export function timelineJsonSchemaText(): string {
  return `${JSON.stringify(timelineJsonSchema(), null, 2)}\n`;
}
