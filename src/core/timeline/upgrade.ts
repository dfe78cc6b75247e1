/**
 * "Upgrade timeline to v2" as text edits (jsonc-parser), so the user's formatting, key order and
 * everything we do not change stay as they were: `"version": 1` becomes 2, each scene's
 * `"keyframe": "x"` becomes `"keyframes": { "start": "x" }` in place, and a `$schema` naming the
 * version 1 schema URL names the version 2 one. The result is checked with the loader before
 * anyone writes it (see upgradeTimelineFile), so an upgrade never leaves a broken file.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { applyEdits, findNodeAtLocation, parseTree, type Edit, type Node } from 'jsonc-parser';
import { StvError } from '../errors';
import { parseTimeline, type TimelineProblem } from './load';

const V1_SCHEMA_URL = 'https://scene-to-video.invalid/schemas/timeline-v1.json';
const V2_SCHEMA_URL = 'https://scene-to-video.invalid/schemas/timeline-v2.json';

export interface UpgradeResult {
  /** The upgraded text; the input unchanged when it was version 2 already. */
  text: string;
  changed: boolean;
  /** What was changed, one line each, for the CLI and the notification. */
  changes: string[];
}

/** The edits that turn a version 1 timeline's text into version 2. Throws INVALID_REQUEST for anything else. */
export function upgradeTimelineText(text: string): UpgradeResult {
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  const root: Node | undefined = parseTree(body, [], { disallowComments: true, allowTrailingComma: false });
  if (!root || root.type !== 'object')
    throw new StvError(
      'TIMELINE_INVALID',
      'This is not a timeline (a JSON object with "version", "title" and "scenes"); nothing was changed.',
      'Fix the file first: "scene-to-video validate FILE" lists its problems.',
    );
  const version = findNodeAtLocation(root, ['version']);
  if (version?.value === 2) return { text, changed: false, changes: [] };
  if (version?.value !== 1)
    throw new StvError(
      'TIMELINE_INVALID',
      `Only a version 1 timeline can be upgraded; this one has "version": ${JSON.stringify(version?.value ?? null)}.`,
      'Set "version": 1 if it is a version 1 timeline.',
    );
  const edits: Edit[] = [];
  const changes: string[] = ['"version": 1 → 2'];
  edits.push({ offset: version.offset, length: version.length, content: '2' });
  const schema = findNodeAtLocation(root, ['$schema']);
  if (schema?.type === 'string' && schema.value === V1_SCHEMA_URL) {
    edits.push({ offset: schema.offset, length: schema.length, content: JSON.stringify(V2_SCHEMA_URL) });
    changes.push('$schema → the version 2 schema');
  }
  const scenes = findNodeAtLocation(root, ['scenes']);
  for (const [i, scene] of (scenes?.type === 'array' ? (scenes.children ?? []) : []).entries()) {
    if (scene.type !== 'object') continue;
    const prop = (scene.children ?? []).find((c) => c.children?.[0]?.value === 'keyframe');
    const value = prop?.children?.[1];
    if (!prop || !value) continue;
    const hasKeyframes = (scene.children ?? []).some((c) => c.children?.[0]?.value === 'keyframes');
    if (hasKeyframes)
      throw new StvError(
        'TIMELINE_INVALID',
        `scenes[${i}] has both "keyframe" and "keyframes"; nothing was changed.`,
        'Keep one of them, then upgrade.',
      );
    // The value's own text (not a re-serialisation) keeps its escapes exactly as written.
    const valueText = body.slice(value.offset, value.offset + value.length);
    edits.push({ offset: prop.offset, length: prop.length, content: `"keyframes": { "start": ${valueText} }` });
    changes.push(`scenes[${i}].keyframe → keyframes.start`);
  }
  const upgraded = applyEdits(body, edits);
  return { text: bom ? `\uFEFF${upgraded}` : upgraded, changed: true, changes };
}

export interface UpgradeFileResult extends UpgradeResult {
  file: string;
}

/**
 * Upgrades a file in place. The new text must load without errors before it replaces the old one
 * (written to a temporary file in the same folder, then renamed), so the file is never half-written.
 */
export async function upgradeTimelineFile(file: string): Promise<UpgradeFileResult> {
  const abs = path.resolve(file);
  const before = await readFile(abs, 'utf8');
  const r = upgradeTimelineText(before);
  if (!r.changed) return { ...r, file: abs };
  const loaded = parseTimeline(r.text.replace(/^\uFEFF/, ''), { timelineFile: abs });
  if (!loaded.ok) {
    const first = loaded.problems.find((p: TimelineProblem) => p.severity === 'error');
    throw new StvError(
      'TIMELINE_INVALID',
      `The upgraded timeline would not load (${first ? `line ${first.line}: ${first.message}` : 'unknown problem'}); ${path.basename(abs)} was not changed.`,
      'Fix the problem in the version 1 file ("scene-to-video validate FILE"), then upgrade.',
    );
  }
  const tmp = path.join(path.dirname(abs), `.stv-${randomUUID()}.timeline.part`);
  try {
    await writeFile(tmp, r.text, { flag: 'wx' });
    await rename(tmp, abs);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { ...r, file: abs };
}
