import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseTimeline } from '../../src/core/timeline/load';

const root = path.join(__dirname, '../../..');
const sample = readFileSync(path.join(root, 'media/sample/sample.timeline.json'), 'utf8');
const opts = { timelineFile: path.join(root, 'media/sample/sample.timeline.json'), fileExists: () => true };

function check(text: string): void {
  const r = parseTimeline(text, opts); // must not throw
  const lineCount = text.split('\n').length;
  const problems = r.ok ? r.warnings : r.problems;
  if (!r.ok) assert.ok(r.problems.length > 0, 'a failed load has at least one problem');
  for (const p of problems) {
    assert.ok(Array.isArray(p.path), 'problem has a path');
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lineCount + 1, `line ${p.line} of ${lineCount}`);
    assert.ok(Number.isInteger(p.column) && p.column >= 1, `column ${p.column}`);
    assert.ok(p.endLine > p.line || (p.endLine === p.line && p.endColumn >= p.column), 'range ends after it starts');
    assert.ok(p.message.length > 10, 'message says something');
  }
}

describe('timeline loader (property tests)', () => {
  it('never throws on arbitrary text, and every problem has a path and a position', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), { numRuns: 400 });
  });

  it('never throws on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => check(JSON.stringify(v, null, 1))), { numRuns: 400 });
  });

  it('never throws on the sample with characters deleted, inserted or replaced', () => {
    const mutation = fc.tuple(fc.nat({ max: sample.length - 1 }), fc.nat({ max: 20 }), fc.string({ maxLength: 5 }));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let text = sample;
        for (const [at, del, ins] of muts) text = text.slice(0, at) + ins + text.slice(at + del);
        check(text);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on structurally mutated timelines (values replaced by arbitrary JSON)', () => {
    const base = JSON.parse(sample) as Record<string, unknown>;
    const keys = ['version', 'title', 'defaults', 'scenes'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), fc.nat({ max: 2 }), fc.constantFrom('id', 'prompt', 'frames', 'seconds', 'seed', 'overrides', 'keyframe'), fc.jsonValue({ maxDepth: 2 }), (k, v, i, sk, sv) => {
        const t = structuredClone(base);
        t[k] = v;
        check(JSON.stringify(t, null, 2));
        const t2 = structuredClone(base) as { scenes: Record<string, unknown>[] };
        const scene = t2.scenes[i];
        if (scene) scene[sk] = sv;
        check(JSON.stringify(t2, null, 2));
      }),
      { numRuns: 400 },
    );
  });
});
