#!/usr/bin/env node
// Writes media/timeline.schema.json (and the editor's copy) from the zod schema (compiled to out/ by `npm run compile-tests`).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { timelineJsonSchemaText, timelineEditorJsonSchemaText } = require(
  join(root, 'out/src/core/timeline/jsonSchema.js'),
);
writeFileSync(join(root, 'media/timeline.schema.json'), timelineJsonSchemaText());
// The editor's copy (contributes.jsonValidation): completion and hovers, no validation.
writeFileSync(join(root, 'media/timeline.editor.schema.json'), timelineEditorJsonSchemaText());
console.log('wrote media/timeline.schema.json and media/timeline.editor.schema.json');
