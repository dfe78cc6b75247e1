/**
 * The JSON Schema editors use for *.timeline.json (contributes.jsonValidation), generated from the
 * zod schema so the two cannot drift. media/timeline.schema.json is this function's output,
 * written by scripts/generate-schema.mjs and checked by a unit test.
 */
import { z } from 'zod';
import { TimelineSchema } from './schema';
import { starterTimeline } from './starter';

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

export function timelineEditorJsonSchemaText(): string {
  const scene = { id: '${1:scene-id}', title: '${2:Scene title}', prompt: '${3:What the clip shows}', seconds: 2 };
  return `${JSON.stringify(timelineEditorJsonSchema(starterTimeline(), scene), null, 2)}\n`;
}

/** Keywords that make a JSON language server report problems; the loader reports those instead. */
const VALIDATION_KEYWORDS = new Set([
  'additionalProperties',
  'required',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'format',
  'type',
  'enum',
  'const',
]);
// Objects and arrays only: a snippet on a string would also be offered as a value ("") above the
// keyframe paths and other real completions.
const INSERT_TEXT: Record<string, string> = { object: '{$1}', array: '[$1]' };

function forEditor(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forEditor);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (VALIDATION_KEYWORDS.has(k)) continue;
    // Keyed maps (properties) keep their keys; everything else is a schema to transform.
    out[k] =
      k === 'properties' && v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, forEditor(s)]))
        : forEditor(v);
  }
  // Value completions without validation: allowed values become examples (never reported).
  const examples = Array.isArray(src.enum) ? src.enum : src.const !== undefined ? [src.const] : undefined;
  if (examples) out.examples = examples;
  if (src.const !== undefined && out.default === undefined) out.default = src.const;
  // What a completed property inserts after its colon ("" for text, {} for objects), as `type` did.
  const insert = typeof src.type === 'string' ? INSERT_TEXT[src.type] : undefined;
  if (insert && !examples && out.default === undefined) out.defaultSnippets = [{ bodyText: insert }];
  return out;
}

/**
 * The schema contributes.jsonValidation gives the editor: completion, hovers and snippets, and no
 * validation keyword, so each problem is reported once, by the extension's diagnostics (which have
 * positions, wording and quick fixes the JSON language server's cannot have).
 * media/timeline.editor.schema.json is this function's output.
 */
export function timelineEditorJsonSchema(starter: unknown, scene: unknown): Record<string, unknown> {
  const full = timelineJsonSchema();
  const editor = forEditor(full) as Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };
  const scenes = editor.properties.scenes ?? {};
  editor.properties.scenes = {
    ...scenes,
    items: {
      ...(scenes.items as Record<string, unknown>),
      defaultSnippets: [
        { label: 'New scene', description: 'A scene with an id, a title, a prompt and a length', body: scene },
      ],
    },
  };
  // No $id: two schemas with one id would shadow each other in the JSON language server.
  delete editor.$id;
  return {
    ...editor,
    $schema: full.$schema,
    title: 'Scene to Video timeline (version 1), for the editor',
    // An empty *.timeline.json completes to a starter timeline.
    defaultSnippets: [{ label: 'New timeline', description: 'A starter timeline with one scene', body: starter }],
  };
}
