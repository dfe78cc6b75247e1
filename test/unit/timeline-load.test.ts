import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseTimeline, loadTimelineFile, type TimelineProblem } from '../../src/core/timeline/load';
import { resolveScenes } from '../../src/core/timeline/resolve';
import { timelineJsonSchemaText } from '../../src/core/timeline/jsonSchema';

const root = path.join(__dirname, '../../..');
const timelineFile = path.join(root, 'test/fixtures/timeline/virtual.timeline.json');
const existing = new Set([path.resolve(path.dirname(timelineFile), 'keyframes/a.png')]);
const parse = (text: string) => parseTimeline(text, { timelineFile, fileExists: (p) => existing.has(p) });

/** Builds a timeline text line by line so tests can name the line a problem must be on. */
function lines(...ls: string[]): string {
  return ls.join('\n');
}

function only(problems: TimelineProblem[], code: string): TimelineProblem {
  const hits = problems.filter((p) => p.code === code);
  assert.equal(hits.length, 1, `expected one ${code}, got ${JSON.stringify(problems, null, 1)}`);
  return hits[0] as TimelineProblem;
}

function problemsOf(text: string): TimelineProblem[] {
  const r = parse(text);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}

describe('timeline loader', () => {
  it('loads the sample timeline with no problems and resolves its scenes', async () => {
    const file = path.join(root, 'media/sample/sample.timeline.json');
    const r = await loadTimelineFile(file);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const scenes = resolveScenes(r.timeline, file);
    assert.deepEqual(scenes.map((s) => s.id), ['lighthouse', 'forest-stream', 'city-rain']);
    assert.deepEqual(scenes.map((s) => s.seed), [1234, 1235, 1236]); // increment policy
    assert.equal(scenes[1]?.numFrames, 33); // 2 s at 16 fps -> nearest 4k+1 to 33
    assert.equal(scenes[2]?.negativePrompt, 'daylight, blurry, watermark');
    assert.equal(scenes[0]?.negativePrompt, 'blurry, low quality, distorted, watermark, text');
    assert.ok(scenes[0]?.keyframePath?.endsWith(path.join('keyframes', 'lighthouse.png')));
  });

  it('reports a JSON syntax error at its line and column', () => {
    const p = only(problemsOf(lines('{', '  "version": 1,', '  "title": "x"', '  "scenes": []', '}')), 'json-syntax');
    assert.equal(p.line, 4);
    assert.equal(p.column, 3);
    assert.match(p.message, /comma was expected/);
  });

  it('reports duplicate scene ids on the second id, naming the first', () => {
    const text = lines(
      '{ "version": 1, "title": "t", "scenes": [',
      '  { "id": "a", "title": "A", "prompt": "p" },',
      '  { "id": "a", "title": "B", "prompt": "q" }',
      ']}',
    );
    const p = only(problemsOf(text), 'duplicate-scene-id');
    assert.deepEqual(p.path, ['scenes', 1, 'id']);
    assert.equal(p.line, 3);
    assert.equal(p.column, 11);
    assert.match(p.message, /used twice \(also by scenes\[0\]\)/);
  });

  it('reports a missing keyframe file with the path it looked for', () => {
    const text = lines(
      '{ "version": 1, "title": "t", "scenes": [',
      '  { "id": "a", "title": "A", "prompt": "p", "keyframe": "keyframes/a.png" },',
      '  { "id": "b", "title": "B", "prompt": "p",',
      '    "keyframe": "keyframes\\\\missing.png" }',
      ']}',
    );
    const p = only(problemsOf(text), 'keyframe-missing');
    assert.deepEqual(p.path, ['scenes', 1, 'keyframe']);
    assert.equal(p.line, 4);
    assert.equal(p.column, 17);
    assert.ok(p.message.includes(path.join('keyframes', 'missing.png')), p.message);
  });

  it('accepts Windows separators in keyframe paths', () => {
    const r = parse('{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "keyframe": "keyframes\\\\a.png" } ] }');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  });

  it('names the nearest valid width/height', () => {
    const text = lines('{ "version": 1, "title": "t",', '  "defaults": { "width": 1000, "height": 700 },', '  "scenes": [] }');
    const ps = problemsOf(text).filter((p) => p.code === 'invalid-size');
    assert.equal(ps.length, 2);
    const w = ps.find((p) => p.path.join('.') === 'defaults.width');
    assert.ok(w);
    assert.equal(w.line, 2);
    assert.equal(w.column, 26);
    assert.match(w.message, /Nearest valid: 992 or 1008/);
    assert.match(ps.find((p) => p.path.join('.') === 'defaults.height')?.message ?? '', /Nearest valid: 688 or 704/);
  });

  it('names the nearest valid frame counts (4k+1)', () => {
    const text = lines('{ "version": 1, "title": "t", "scenes": [', '  { "id": "a", "title": "A", "prompt": "p", "frames": 120 }', ']}');
    const p = only(problemsOf(text), 'invalid-frames');
    assert.equal(p.line, 2);
    assert.equal(p.column, 55);
    assert.match(p.message, /Nearest valid: 117 or 121/);
  });

  it('reports unknown fields at the key, with a suggestion', () => {
    const text = lines('{ "version": 1, "title": "t", "scenes": [', '  { "id": "a", "title": "A", "promt": "p" }', ']}');
    const ps = problemsOf(text);
    const p = only(ps, 'unknown-field');
    assert.equal(p.line, 2);
    assert.equal(p.column, 30);
    assert.match(p.message, /Did you mean "prompt"\?/);
    // The missing prompt itself is reported on the scene object.
    const missing = only(ps, 'missing-field');
    assert.deepEqual(missing.path, ['scenes', 0, 'prompt']);
    assert.equal(missing.line, 2);
    assert.equal(missing.column, 3);
  });

  it('refuses unsafe scene ids', () => {
    const text = lines('{ "version": 1, "title": "t", "scenes": [', '  { "id": "../etc", "title": "A", "prompt": "p" }', ']}');
    const ps = problemsOf(text).filter((p) => p.code === 'invalid-scene-id');
    assert.ok(ps.length >= 1);
    for (const p of ps) assert.deepEqual([p.line, p.column], [2, 11]);
    assert.ok(ps.some((p) => /must not contain ".."/.test(p.message)));
  });

  it('reports frames and seconds given together, wrong types, and unsupported versions', () => {
    const both = problemsOf('{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "frames": 33, "seconds": 2 } ] }');
    only(both, 'length-conflict');
    const wrong = problemsOf('{ "version": 1, "title": "t", "defaults": { "fps": "24" }, "scenes": [] }');
    assert.match(only(wrong, 'wrong-type').message, /defaults\.fps must be number, not string "24"/);
    const v2 = problemsOf('{ "version": 2, "title": "t", "scenes": [] }');
    assert.equal(only(v2, 'unsupported-version').column, 14);
  });

  it('never reports a problem without a position inside the text', () => {
    const text = '{ "title": 5, "scenes": [ 1, { "id": "" } ], "extra": true }';
    for (const p of problemsOf(text)) {
      assert.ok(p.line >= 1 && p.column >= 1, JSON.stringify(p));
      assert.ok(p.line <= text.split('\n').length);
    }
  });

  it('reports a file that does not exist', async () => {
    const r = await loadTimelineFile(path.join(root, 'no-such.timeline.json'));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? (r.problems[0]?.message ?? '') : '', /does not exist/);
  });

  it('keeps media/timeline.schema.json in sync with the zod schema', () => {
    const committed = readFileSync(path.join(root, 'media/timeline.schema.json'), 'utf8');
    assert.equal(committed, timelineJsonSchemaText(), 'run `npm run gen:schema` and commit the result');
  });
});
