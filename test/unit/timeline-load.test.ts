import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseTimeline, loadTimelineFile, type TimelineProblem } from '../../src/core/timeline/load';
import { resolveScenes } from '../../src/core/timeline/resolve';
import {
  framesForSeconds,
  isValidFrameCount,
  isValidSide,
  nearestFrameCounts,
  nearestSides,
} from '../../src/core/timeline/validSizes';
import { TimelineSchema } from '../../src/core/timeline/schema';
import { existsSync } from 'node:fs';
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
    assert.deepEqual(
      scenes.map((s) => s.key),
      ['lighthouse', 'forest-stream', 'city-rain', 'city-night/wide', 'city-night/windows', 'nightfall'],
    );
    assert.deepEqual(
      scenes.map((s) => s.seed),
      [1234, 1235, 1236, 1237, 1238, 1239],
    ); // increment policy, per clip
    assert.equal(scenes[4]?.numFrames, 25); // the shot's own 1.5 s at 16 fps
    assert.equal(scenes[4]?.keyframePath, scenes[3]?.keyframePath); // both shots inherit the scene's keyframe
    assert.ok(scenes[5]?.endKeyframePath?.endsWith(path.join('keyframes', 'lighthouse-night.png'))); // bookends
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
    const r = parse(
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "keyframe": "keyframes\\\\a.png" } ] }',
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  });

  it('names the nearest valid width/height', () => {
    const text = lines(
      '{ "version": 1, "title": "t",',
      '  "defaults": { "width": 1000, "height": 700 },',
      '  "scenes": [] }',
    );
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
    const text = lines(
      '{ "version": 1, "title": "t", "scenes": [',
      '  { "id": "a", "title": "A", "prompt": "p", "frames": 120 }',
      ']}',
    );
    const p = only(problemsOf(text), 'invalid-frames');
    assert.equal(p.line, 2);
    assert.equal(p.column, 55);
    assert.match(p.message, /Nearest valid: 117 or 121/);
  });

  it('reports unknown fields at the key, with a suggestion', () => {
    const text = lines(
      '{ "version": 1, "title": "t", "scenes": [',
      '  { "id": "a", "title": "A", "promt": "p" }',
      ']}',
    );
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
    const text = lines(
      '{ "version": 1, "title": "t", "scenes": [',
      '  { "id": "../etc", "title": "A", "prompt": "p" }',
      ']}',
    );
    const ps = problemsOf(text).filter((p) => p.code === 'invalid-scene-id');
    assert.ok(ps.length >= 1);
    for (const p of ps) assert.deepEqual([p.line, p.column], [2, 11]);
    assert.ok(ps.some((p) => /must not contain ".."/.test(p.message)));
    // Names Windows cannot use as folders, and a trailing dot Windows would drop.
    for (const [id, why] of [
      ['CON', /device name on Windows/],
      ['nul.txt', /device name on Windows/],
      ['lpt1', /device name on Windows/],
      ['take.', /must not end with "\."/],
    ] as const) {
      const p = only(
        problemsOf(`{ "version": 1, "title": "t", "scenes": [ { "id": "${id}", "title": "A", "prompt": "p" } ] }`),
        'invalid-scene-id',
      );
      assert.match(p.message, why, id);
      assert.deepEqual(p.path, ['scenes', 0, 'id']);
    }
    assert.ok(
      parse('{ "version": 1, "title": "t", "scenes": [ { "id": "console.v2_final-1", "title": "A", "prompt": "p" } ] }')
        .ok,
    );
  });

  it('reports frames and seconds given together, wrong types, and unsupported versions', () => {
    const both = problemsOf(
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "frames": 33, "seconds": 2 } ] }',
    );
    only(both, 'length-conflict');
    const wrong = problemsOf('{ "version": 1, "title": "t", "defaults": { "fps": "24" }, "scenes": [] }');
    assert.match(only(wrong, 'wrong-type').message, /defaults\.fps must be a number, not string "24"/);
    const v3 = problemsOf('{ "version": 3, "title": "t", "scenes": [] }');
    assert.equal(only(v3, 'unsupported-version').column, 14);
  });

  it('never reports a problem without a position inside the text', () => {
    const text = '{ "title": 5, "scenes": [ 1, { "id": "" } ], "extra": true }';
    for (const p of problemsOf(text)) {
      assert.ok(p.line >= 1 && p.column >= 1, JSON.stringify(p));
      assert.ok(p.line <= text.split('\n').length);
    }
  });

  it('counts lines the way VS Code does: CRLF and a lone CR', () => {
    for (const eol of ['\r\n', '\r']) {
      const text = [
        '{ "version": 1, "title": "t", "scenes": [',
        '  { "id": "a", "title": "A",',
        '    "prompt": "p", "frames": 120 }',
        ']}',
      ].join(eol);
      const p = only(problemsOf(text), 'invalid-frames');
      assert.deepEqual([p.line, p.column, p.endLine, p.endColumn], [3, 30, 3, 33], JSON.stringify(eol));
    }
  });

  it('reads a file with a byte order mark, positions unchanged', () => {
    const text =
      '\uFEFF{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "frames": 120 } ] }';
    const p = only(problemsOf(text), 'invalid-frames');
    assert.equal(p.column, text.indexOf('120') + 1); // the BOM counts as one column, as in the text given
  });

  it('says what to write when version is missing or a string', () => {
    assert.match(
      only(problemsOf('{ "title": "t", "scenes": [] }'), 'missing-field').message,
      /version is required: add it with one of 2, 1/,
    );
    const quoted = only(problemsOf('{ "version": "1", "title": "t", "scenes": [] }'), 'unsupported-version');
    assert.match(quoted.message, /must be the number 2 \(or 1\), not string "1": write "version": 2 without quotes/);
    assert.deepEqual([quoted.line, quoted.column, quoted.endColumn], [1, 14, 17]);
  });

  it('refuses a length in seconds the model cannot render in one clip, naming the longest it can', () => {
    const text = lines(
      '{ "version": 1, "title": "t", "defaults": { "fps": 16 }, "scenes": [',
      '  { "id": "a", "title": "A", "prompt": "p", "seconds": 20 }',
      ']}',
    );
    const p = only(problemsOf(text), 'invalid-length');
    assert.deepEqual([p.line, p.column], [2, 56]);
    assert.match(p.message, /20 s at 16 fps is 321 frames, more than the 241 .*at most 15 s at 16 fps/);
    // 10 s at 24 fps is exactly 241 frames: fine.
    assert.ok(
      parse('{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "seconds": 10 } ] }')
        .ok,
    );
  });

  it('checks seconds at the rate the scene renders: the fallback fps (fastVideo.fps) when the timeline sets none', () => {
    const text =
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "seconds": 12 } ] }';
    // 12 s is 289 frames at 24 fps (too long), but 193 at 16 fps, which is what resolveScenes renders.
    assert.equal(parse(text).ok, false);
    const at16 = parseTimeline(text, { timelineFile, fileExists: () => true, fallbackFps: 16 });
    assert.ok(at16.ok);
    assert.equal(resolveScenes(at16.timeline, timelineFile, { fps: 16 })[0]?.numFrames, 193);
    // ...and the other way round: 5 s is fine at 24 fps, too long at 60 (301 frames).
    const five =
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "seconds": 5 } ] }';
    assert.ok(parse(five).ok);
    const at60 = parseTimeline(five, { timelineFile, fileExists: () => true, fallbackFps: 60 });
    assert.match(only(at60.ok ? [] : at60.problems, 'invalid-length').message, /5 s at 60 fps is 301 frames/);
    // The timeline's own fps still wins over the fallback.
    assert.equal(
      parseTimeline(
        '{ "version": 1, "title": "t", "defaults": { "fps": 24 }, "scenes": [ { "id": "a", "title": "A", "prompt": "p", "seconds": 12 } ] }',
        { timelineFile, fallbackFps: 16 },
      ).ok,
      false,
    );
  });

  it('warns when overrides.numFrames replaces frames or seconds', () => {
    const r = parse(
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "seconds": 2, "overrides": { "numFrames": 81 } } ] }',
    );
    assert.ok(r.ok);
    assert.equal(r.warnings.length, 1);
    assert.deepEqual(r.warnings[0]?.path, ['scenes', 0, 'overrides', 'numFrames']);
    assert.match(r.warnings[0]?.message ?? '', /replaces the scene's "seconds"/);
  });

  it('warns about a key written twice, at the second one', () => {
    const r = parse(
      lines(
        '{ "version": 1, "title": "t", "scenes": [',
        '  { "id": "a", "title": "A", "prompt": "p",',
        '    "prompt": "q" }',
        ']}',
      ),
    );
    assert.ok(r.ok);
    assert.equal(r.timeline.scenes[0]?.prompt, 'q');
    const w = only(r.warnings, 'duplicate-key');
    assert.deepEqual([w.line, w.column, w.endColumn], [3, 5, 13]);
    assert.match(w.message, /"prompt" appears twice in scenes\[0\]: only the last one counts/);
  });

  it('warns about scene ids that differ only in case (one folder on Windows and macOS)', () => {
    const r = parse(
      '{ "version": 1, "title": "t", "scenes": [ { "id": "Night", "title": "A", "prompt": "p" }, { "id": "night", "title": "B", "prompt": "q" } ] }',
    );
    assert.ok(r.ok);
    assert.match(
      only(r.warnings, 'duplicate-scene-id').message,
      /differs from scenes\[0\]'s "Night" only in letter case/,
    );
  });

  it('suggests the closest allowed value and warns about keyframes that are not PNG, JPEG or WebP', () => {
    assert.match(
      only(
        problemsOf('{ "version": 1, "title": "t", "defaults": { "seedPolicy": "incremnt" }, "scenes": [] }'),
        'invalid-value',
      ).message,
      /Did you mean "increment"\?/,
    );
    const r = parse(
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "keyframe": "keyframes/a.png" } ] }',
    );
    assert.ok(r.ok && r.warnings.length === 0);
    const gif = parseTimeline(
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "keyframe": "a.gif" } ] }',
      { timelineFile, fileExists: () => true },
    );
    assert.ok(gif.ok);
    assert.equal(only(gif.warnings, 'keyframe-format').path.join('.'), 'scenes.0.keyframe');
  });

  it('explains an absolute Windows keyframe path on Linux', function () {
    if (path.sep !== '/') this.skip();
    const p = only(
      problemsOf(
        '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "keyframe": "C:\\\\shots\\\\a.png" } ] }',
      ),
      'keyframe-missing',
    );
    assert.match(p.message, /absolute Windows path.*relative to the timeline file/);
  });

  it('loads a timeline written on Windows (CRLF, backslash and mixed separators) from disk', async () => {
    const file = path.join(root, 'test/fixtures/timeline/windows-authored/win.timeline.json');
    const r = await loadTimelineFile(file);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.deepEqual(r.warnings, []);
    const scenes = resolveScenes(r.timeline, file);
    for (const s of scenes) assert.ok(s.keyframePath && existsSync(s.keyframePath), s.keyframePath);
    assert.equal(scenes[0]?.keyframePath, path.join(root, 'test/fixtures/timeline/windows-authored/shots/opening.png'));
    assert.equal(scenes[1]?.numFrames, 61); // 2.5 s at 24 fps
    assert.deepEqual([scenes[1]?.width, scenes[1]?.height, scenes[1]?.seed], [832, 480, 7]);
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

describe('valid sizes (Wan 2.2 TI2V 5B)', () => {
  it('takes multiples of 16 and 4k+1 frames, and names the nearest valid values', () => {
    assert.ok(
      isValidSide(1280) &&
        isValidSide(704) &&
        isValidSide(720) &&
        !isValidSide(700) &&
        !isValidSide(240) &&
        !isValidSide(1936),
    );
    assert.ok(
      isValidFrameCount(121) &&
        isValidFrameCount(5) &&
        isValidFrameCount(241) &&
        !isValidFrameCount(120) &&
        !isValidFrameCount(1) &&
        !isValidFrameCount(245),
    );
    assert.deepEqual(nearestSides(700), [688, 704]);
    assert.deepEqual(nearestSides(720), [720]);
    assert.deepEqual(nearestSides(1000), [992, 1008]);
    assert.deepEqual(nearestSides(100), [256]);
    assert.deepEqual(nearestSides(5000), [1920]);
    assert.deepEqual(nearestFrameCounts(120), [117, 121]);
    assert.deepEqual(nearestFrameCounts(121), [121]);
    assert.deepEqual(nearestFrameCounts(1000), [241]);
    assert.equal(framesForSeconds(5, 24), 121);
    assert.equal(framesForSeconds(2, 16), 33);
    assert.equal(framesForSeconds(0.01, 24), 5);
  });
});

describe('resolveScenes', () => {
  const file = path.join(root, 'x', 'a.timeline.json');
  const timeline = (defaults: Record<string, unknown>, scenes: Record<string, unknown>[]) =>
    TimelineSchema.parse({ version: 1, title: 't', defaults, scenes });

  it('applies seed policies, scene seeds and overrides in order', () => {
    const scenes = [
      { id: 'a', title: 'A', prompt: 'p' },
      { id: 'b', title: 'B', prompt: 'p', seed: 5 },
      {
        id: 'c',
        title: 'C',
        prompt: 'p',
        overrides: { width: 640, numFrames: 33, provider: 'fastvideo-local', steps: 4 },
      },
    ];
    const fixed = resolveScenes(timeline({ seed: 10 }, scenes), file);
    assert.deepEqual(
      fixed.map((s) => s.seed),
      [10, 5, 10],
    );
    const inc = resolveScenes(timeline({ seedPolicy: 'increment', seed: 4_294_967_295 }, scenes), file);
    assert.deepEqual(
      inc.map((s) => s.seed),
      [4_294_967_295, 5, 1],
    ); // wraps at 2^32
    const random = resolveScenes(timeline({ seedPolicy: 'random' }, scenes), file);
    assert.deepEqual(
      random.map((s) => s.seed),
      ['random', 5, 'random'],
    );
    const c = fixed[2];
    assert.deepEqual([c?.width, c?.height, c?.numFrames, c?.provider, c?.steps], [640, 704, 33, 'fastvideo-local', 4]);
  });

  it('falls back to the provider settings, then to the native 1280x704, 24 fps, 121 frames', () => {
    const t = timeline({}, [
      { id: 'a', title: 'A', prompt: 'p', seconds: 2 },
      { id: 'b', title: 'B', prompt: 'p', keyframe: 'k\\b.png' },
    ]);
    const native = resolveScenes(t, file);
    assert.deepEqual([native[1]?.width, native[1]?.height, native[1]?.fps, native[1]?.numFrames], [1280, 704, 24, 121]);
    assert.equal(native[0]?.numFrames, 49); // 2 s at 24 fps
    assert.equal(native[1]?.keyframePath, path.join(root, 'x', 'k', 'b.png'));
    const fromSettings = resolveScenes(t, file, { width: 640, height: 352, fps: 16, numFrames: 33, seed: 99 });
    assert.deepEqual(
      [
        fromSettings[1]?.width,
        fromSettings[1]?.height,
        fromSettings[1]?.fps,
        fromSettings[1]?.numFrames,
        fromSettings[1]?.seed,
      ],
      [640, 352, 16, 33, 99],
    );
    assert.equal(fromSettings[0]?.numFrames, 33); // 2 s at the settings' 16 fps
    assert.equal(resolveScenes(t, file, { seed: -1 })[0]?.seed, 42); // -1: no settings seed
  });
});
