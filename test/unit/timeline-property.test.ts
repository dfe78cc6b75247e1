import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseTimeline } from '../../src/core/timeline/load';
import { resolveScenes } from '../../src/core/timeline/resolve';
import { TimelineSchema } from '../../src/core/timeline/schema';
import { isValidFrameCount, isValidSide } from '../../src/core/timeline/validSizes';

const root = path.join(__dirname, '../../..');
const sample = readFileSync(path.join(root, 'media/sample/sample.timeline.json'), 'utf8');
const timelineFile = path.join(root, 'media/sample/sample.timeline.json');
const opts = { timelineFile, fileExists: () => true };

/** Lines as VS Code counts them (\n, \r\n, lone \r), without their line breaks. */
const linesOf = (text: string) => text.split(/\r\n|\r|\n/);

function assertInside(lines: string[], line: number, column: number, what: string): void {
  assert.ok(Number.isInteger(line) && line >= 1 && line <= lines.length, `${what} line ${line} of ${lines.length}`);
  const len = lines[line - 1]?.length ?? 0;
  assert.ok(
    Number.isInteger(column) && column >= 1 && column <= len + 1,
    `${what} column ${column} on a line of ${len}`,
  );
}

function check(text: string): void {
  const r = parseTimeline(text, opts); // must not throw
  const lines = linesOf(text);
  const problems = r.ok ? r.warnings : r.problems;
  if (!r.ok) assert.ok(r.problems.length > 0, 'a failed load has at least one problem');
  for (const p of problems) {
    assert.ok(
      Array.isArray(p.path) && p.path.every((k) => typeof k === 'string' || (Number.isInteger(k) && k >= 0)),
      'problem has a path',
    );
    assert.ok(typeof p.code === 'string' && p.code.length > 0);
    assert.ok(p.severity === 'error' || p.severity === 'warning');
    assertInside(lines, p.line, p.column, 'start');
    assertInside(lines, p.endLine, p.endColumn, 'end');
    assert.ok(p.endLine > p.line || (p.endLine === p.line && p.endColumn >= p.column), 'range ends after it starts');
    assert.ok(p.message.length > 10, 'message says something');
  }
  if (r.ok) {
    // Whatever the loader accepts is a timeline every provider can render.
    assert.ok(TimelineSchema.safeParse(r.timeline).success);
    for (const s of resolveScenes(r.timeline, timelineFile)) {
      assert.ok(isValidSide(s.width) && isValidSide(s.height), `${s.width}x${s.height}`);
      assert.ok(isValidFrameCount(s.numFrames), `${s.numFrames} frames`);
      assert.ok(s.seed === 'random' || (Number.isInteger(s.seed) && s.seed >= 0 && s.seed < 2 ** 32));
    }
  }
}

/** Values that are sometimes right and often wrong in instructive ways. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer({ min: -10, max: 3000 }),
  fc.double({ min: -1, max: 100, noNaN: true }),
  fc.constantFrom(
    1280,
    704,
    640,
    352,
    33,
    81,
    121,
    120,
    1000,
    24,
    16,
    'fixed',
    'random',
    'fastvideo-local',
    '',
    '..',
    'a/b',
    'C:\\x.png',
  ),
);
const sceneArb = fc.record(
  {
    id: fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,8}$/),
      fc.constantFrom('a', 'A', '..', '../x', ''),
      anyValue,
    ),
    title: fc.oneof(fc.string({ maxLength: 10 }), anyValue),
    prompt: fc.oneof(fc.string({ maxLength: 10 }), anyValue),
    negativePrompt: fc.oneof(fc.string({ maxLength: 5 }), anyValue),
    keyframe: fc.oneof(fc.constantFrom('k/a.png', 'k\\b.jpg', 'x.gif'), anyValue),
    frames: anyValue,
    seconds: fc.oneof(fc.double({ min: 0, max: 70, noNaN: true }), anyValue),
    seed: anyValue,
    overrides: fc.oneof(
      fc.record(
        { width: anyValue, height: anyValue, fps: anyValue, numFrames: anyValue, steps: anyValue, provider: anyValue },
        { requiredKeys: [] },
      ),
      anyValue,
    ),
    promt: anyValue,
  },
  { requiredKeys: [] },
);
const timelineArb = fc.record(
  {
    version: fc.oneof(fc.constant(1), anyValue),
    title: fc.oneof(fc.string({ maxLength: 10 }), anyValue),
    defaults: fc.oneof(
      fc.record(
        {
          width: anyValue,
          height: anyValue,
          fps: anyValue,
          numFrames: anyValue,
          seedPolicy: anyValue,
          seed: anyValue,
          provider: anyValue,
        },
        { requiredKeys: [] },
      ),
      anyValue,
    ),
    scenes: fc.oneof(fc.array(sceneArb, { maxLength: 4 }), anyValue),
  },
  { requiredKeys: [] },
);

describe('timeline loader (property tests)', () => {
  it('never throws on arbitrary text, and every problem has a path and a position inside the text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), { numRuns: 400 });
  });

  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => check(JSON.stringify(v, null, 1))),
      { numRuns: 400 },
    );
  });

  it('never throws on timeline-shaped objects with right, wrong and unknown values; what it accepts renders', () => {
    fc.assert(
      fc.property(timelineArb, fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), (t, eol, pretty) => {
        const text = JSON.stringify(t, null, pretty ? 2 : undefined).replace(/\n/g, eol);
        check(text);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on the sample with characters deleted, inserted or replaced (any line endings)', () => {
    const mutation = fc.tuple(fc.nat({ max: sample.length - 1 }), fc.nat({ max: 20 }), fc.string({ maxLength: 5 }));
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        (muts, eol) => {
          let text = sample;
          for (const [at, del, ins] of muts) text = text.slice(0, at) + ins + text.slice(at + del);
          check(text.replace(/\n/g, eol));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never throws on ids and transitions that are objects whose toString is not a function (found by the property below)', () => {
    const hostile = { toString: {}, valueOf: {} };
    const t = JSON.parse(sample) as { version?: number; scenes: Record<string, unknown>[] };
    t.version = 2;
    const [first, second] = t.scenes;
    if (first) Object.assign(first, { id: hostile, transition: hostile, keyframes: { start: 'keyframes/none.png' } });
    if (second) second.shots = [{ id: hostile, prompt: 'a shot', transition: hostile }];
    check(JSON.stringify(t, null, 2));
    const r = parseTimeline(JSON.stringify(t, null, 2), opts);
    const messages = (r.ok ? r.warnings : r.problems).map((p) => p.message).join('\n');
    assert.match(messages, /scene "0"|scenes\[0\]/, 'the hostile scene is named by its index');
  });

  it('never throws on structurally mutated timelines (values replaced by arbitrary JSON)', () => {
    const base = JSON.parse(sample) as Record<string, unknown>;
    const keys = ['version', 'title', 'defaults', 'scenes'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.jsonValue({ maxDepth: 3 }),
        fc.nat({ max: 2 }),
        fc.constantFrom('id', 'prompt', 'frames', 'seconds', 'seed', 'overrides', 'keyframe'),
        fc.jsonValue({ maxDepth: 2 }),
        (k, v, i, sk, sv) => {
          const t = structuredClone(base);
          t[k] = v;
          check(JSON.stringify(t, null, 2));
          const t2 = structuredClone(base) as { scenes: Record<string, unknown>[] };
          const scene = t2.scenes[i];
          if (scene) scene[sk] = sv;
          check(JSON.stringify(t2, null, 2));
        },
      ),
      { numRuns: 400 },
    );
  });
});
