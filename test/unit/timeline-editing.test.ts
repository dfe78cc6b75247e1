import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listRunRecords, writeRunSummary } from '../../src/core/render/telemetry';
import { timelineEditorJsonSchemaText } from '../../src/core/timeline/jsonSchema';
import { parseTimeline } from '../../src/core/timeline/load';
import { starterTimelineText, timelineFileName } from '../../src/core/timeline/starter';
import { closestKeyframe, closestMatch, listKeyframeImages, unknownKeyFix } from '../../src/core/timeline/suggest';
import { repoRoot } from '../helpers/paths';

describe('starting a timeline', () => {
  it('writes a starter timeline the loader accepts, with one scene and no $schema', () => {
    const r = parseTimeline(starterTimelineText('Harbour'), { timelineFile: '/tmp/x/a.timeline.json' });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.deepEqual(r.warnings, []);
    assert.equal(r.timeline.title, 'Harbour');
    assert.equal(r.timeline.scenes.length, 1);
    assert.equal(r.timeline.$schema, undefined);
  });

  it('turns what the user typed into a timeline file name', () => {
    assert.equal(timelineFileName('My first'), 'My-first.timeline.json');
    assert.equal(timelineFileName('harbour.timeline.json'), 'harbour.timeline.json');
    assert.equal(timelineFileName('../../etc/passwd'), 'etc-passwd.timeline.json');
    assert.equal(timelineFileName('  '), 'untitled.timeline.json');
  });
});

describe('the editor schema (contributes.jsonValidation)', () => {
  const text = readFileSync(path.join(repoRoot, 'media/timeline.editor.schema.json'), 'utf8');

  it('is in sync with the zod schema (npm run gen:schema writes it)', () => {
    assert.equal(text, timelineEditorJsonSchemaText());
  });

  it('validates nothing, so each problem is reported once (by the extension), and completes an empty file', () => {
    // Schema keywords, not property names: a timeline field may be called "type" (a transition's).
    const banned = new Set([
      'additionalProperties',
      'required',
      'minimum',
      'maximum',
      'exclusiveMinimum',
      'multipleOf',
      'minLength',
      'maxLength',
      'pattern',
      'maxItems',
      'type',
      'enum',
      'const',
    ]);
    const found: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (banned.has(k)) found.push(`${at}.${k}`);
        if (k === 'properties' && v && typeof v === 'object')
          for (const [p, s] of Object.entries(v)) walk(s, `${at}.properties.${p}`);
        else if (k !== 'defaultSnippets' && k !== 'examples' && k !== 'default') walk(v, `${at}.${k}`);
      }
    };
    walk(JSON.parse(text), '$');
    assert.deepEqual(found, []);
    const schema = JSON.parse(text) as {
      defaultSnippets: { label: string; body: unknown }[];
      properties: Record<string, unknown>;
    };
    assert.equal(schema.defaultSnippets[0]?.label, 'New timeline');
    assert.ok(
      parseTimeline(JSON.stringify(schema.defaultSnippets[0]?.body), { timelineFile: '/tmp/a.timeline.json' }).ok,
    );
    assert.ok(schema.properties.scenes, 'completion still knows the keys');
  });

  it('is the one package.json associates with *.timeline.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { jsonValidation: { url: string }[] };
    };
    assert.deepEqual(
      pkg.contributes.jsonValidation.map((v) => v.url),
      ['./media/timeline.editor.schema.json'],
    );
  });
});

describe('suggestions for quick fixes', () => {
  it("finds the key a typo meant, from the loader's own message", () => {
    const r = parseTimeline('{"version":1,"title":"t","scenes":[{"id":"a","title":"A","prompt":"p","secnds":2}]}', {
      timelineFile: '/tmp/a.timeline.json',
    });
    assert.ok(!r.ok);
    const unknown = r.problems.filter((p) => p.code === 'unknown-field');
    assert.equal(unknown.length, 1);
    assert.deepEqual(unknownKeyFix(unknown[0]?.message ?? ''), { key: 'secnds', replacement: 'seconds' });
    assert.equal(unknownKeyFix('Unknown field "zzzz" in scenes[0]. Remove it or fix its name.'), undefined);
  });

  it('finds the image a missing keyframe meant, in the same folder or another', () => {
    const images = ['keyframes/city-rain.png', 'keyframes/lighthouse.png', 'shots/forest.jpg'];
    assert.equal(closestKeyframe('keyframes/lighthose.png', images), 'keyframes/lighthouse.png');
    assert.equal(closestKeyframe('keyframe/lighthouse.png', images), 'keyframes/lighthouse.png');
    assert.equal(closestKeyframe('forest.jpg', images), 'shots/forest.jpg');
    assert.equal(closestKeyframe('.\\keyframes\\city-rain.PNG', images), 'keyframes/city-rain.png');
    assert.equal(closestKeyframe('sunset.png', images), undefined);
    assert.equal(closestMatch('width', ['width']), undefined, 'an exact match is no suggestion');
  });

  it("lists images under the timeline's folder as relative paths, skipping dot-folders and node_modules", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stv-kf-'));
    try {
      for (const d of ['keyframes', '.hidden', 'node_modules/x', 'a/b'])
        mkdirSync(path.join(dir, d), { recursive: true });
      for (const f of [
        'keyframes/one.png',
        'keyframes/notes.txt',
        '.hidden/secret.png',
        'node_modules/x/logo.png',
        'a/b/two.JPG',
        'top.webp',
      ])
        writeFileSync(path.join(dir, f), 'x');
      assert.deepEqual((await listKeyframeImages(dir)).sort(), ['a/b/two.JPG', 'keyframes/one.png', 'top.webp']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('run records', () => {
  it('keeps the newest records per provider and lists them newest first', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stv-runs-'));
    try {
      for (let i = 0; i < 5; i++)
        await writeRunSummary(
          dir,
          'fastvideo-local',
          new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
          [{ sceneId: `s${i}`, state: i % 2 ? 'failed' : 'succeeded', seed: i }],
          3,
        );
      const files = readdirSync(path.join(dir, 'fastvideo-local')).sort();
      assert.equal(files.length, 3);
      assert.match(files[0] ?? '', /^run-20260101T000002Z-/);
      const listed = await listRunRecords(dir);
      assert.deepEqual(
        listed.map((r) => r.scenes[0]),
        ['s4', 's3', 's2'],
      );
      assert.deepEqual([listed[0]?.succeeded, listed[1]?.failed], [1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
