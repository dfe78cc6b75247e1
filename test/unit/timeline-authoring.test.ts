import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyEdits, type Edit } from 'jsonc-parser';
import {
  addSceneEdits,
  addShotEdits,
  deleteEdits,
  duplicateEdits,
  moveEdits,
  setFieldEdits,
  setKeyframeEdits,
  timelineOutline,
  timelineTree,
} from '../../src/core/timeline/authoring';
import { importKeyframeBytes, importKeyframeFile } from '../../src/core/timeline/keyframeImport';
import { parseTimeline } from '../../src/core/timeline/load';

const TEXT = `{
  "version": 2,
  "title": "Harbour",
  "scenes": [
    { "id": "wide", "title": "Wide", "prompt": "A harbour \\u00e9", "frames": 33 },
    {
      "id": "boats",
      "title": "Boats",
      "prompt": "Boats",
      "shots": [
        { "id": "a", "prompt": "first" },
        { "id": "b", "prompt": "second", "overrides": { "model": "m" } },
        { "id": "c" }
      ]
    }
  ]
}
`;
const wide = { scene: 0, sceneId: 'wide' };
const shot = (i: number, id: string) => ({ scene: 1, sceneId: 'boats', shot: i, shotId: id });
const apply = (edits: Edit[], text = TEXT) => applyEdits(text, edits);
const json = (text: string) => JSON.parse(text) as { scenes: Record<string, unknown>[] };
const loads = (text: string) => {
  const r = parseTimeline(text, { timelineFile: '/tmp/h/h.timeline.json' });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
};

describe('timeline authoring edits (the timeline editor)', () => {
  it('outlines scenes and shots with the values as written', () => {
    const root = timelineTree(TEXT);
    assert.ok(root);
    const o = timelineOutline(root);
    assert.equal(o.version, 2);
    assert.deepEqual(
      o.scenes.map((s) => [s.id, s.shots.map((x) => x.id)]),
      [
        ['wide', []],
        ['boats', ['a', 'b', 'c']],
      ],
    );
    assert.equal(o.scenes[0]?.fields.prompt, 'A harbour é');
    assert.equal(o.scenes[1]?.shots[1]?.fields.model, 'm');
    assert.equal(timelineTree('{ "scenes": [ '), undefined, 'a syntax error gives no tree');
  });

  it('changes a prompt with one edit inside its string, leaving every other byte alone', () => {
    const edits = setFieldEdits(TEXT, shot(0, 'a'), 'prompt', 'first, at night');
    assert.equal(edits.length, 1);
    const out = apply(edits);
    assert.equal(out.replace('"first, at night"', '"first"'), TEXT);
    loads(out);
  });

  it('removes an emptied optional field, and writes a scene title as typed (required: the problem shows)', () => {
    const out = apply(setFieldEdits(TEXT, shot(1, 'b'), 'prompt', ''));
    assert.equal(json(out).scenes[1]?.shots instanceof Array, true);
    assert.ok(!out.includes('"second"'));
    assert.ok(apply(setFieldEdits(TEXT, wide, 'title', '')).includes('"title": ""'));
  });

  it('keeps one length: seconds replaces frames; numbers are written as numbers', () => {
    const out = apply(setFieldEdits(TEXT, wide, 'seconds', '2'));
    const w = json(out).scenes[0];
    assert.equal(w?.seconds, 2);
    assert.equal(w?.frames, undefined);
    loads(out);
    assert.deepEqual(setFieldEdits(TEXT, wide, 'seed', 'x'), [], 'not a number and not there: nothing to do');
  });

  it('puts size, provider and model under overrides and drops overrides when its last value goes', () => {
    const out = apply(setFieldEdits(TEXT, wide, 'provider', 'comfyui-local'));
    assert.deepEqual(json(out).scenes[0]?.overrides, { provider: 'comfyui-local' });
    const cleared = apply(setFieldEdits(TEXT, shot(1, 'b'), 'model', null));
    assert.ok(!cleared.includes('overrides'));
    loads(cleared);
  });

  it('refuses an edit addressed to an index that now holds another item', () => {
    assert.throws(() => setFieldEdits(TEXT, { scene: 0, sceneId: 'boats' }, 'title', 'x'), /changed under the editor/);
    assert.throws(() => setFieldEdits(TEXT, shot(0, 'b'), 'title', 'x'), /changed under the editor/);
    assert.throws(() => setFieldEdits('{ "scenes": [', wide, 'title', 'x'), /syntax error/);
  });

  it('reorders shots by rewriting only the span that moves, each item kept as written', () => {
    const out = apply(moveEdits(TEXT, shot(0, 'a'), 2));
    const shots = json(out).scenes[1]?.shots as { id: string }[];
    assert.deepEqual(
      shots.map((s) => s.id),
      ['b', 'c', 'a'],
    );
    assert.ok(out.includes('{ "id": "b", "prompt": "second", "overrides": { "model": "m" } }'));
    const back = apply(moveEdits(out, shot(2, 'a'), 0), out);
    assert.equal(back, TEXT);
    const scenes = json(apply(moveEdits(TEXT, { scene: 1, sceneId: 'boats' }, 0))).scenes;
    assert.deepEqual(
      scenes.map((s) => s.id),
      ['boats', 'wide'],
    );
    assert.deepEqual(moveEdits(TEXT, wide, 0), []);
  });

  it('adds scenes and shots with fresh ids that load', () => {
    const a = addSceneEdits(TEXT);
    const out = apply(a.edits);
    assert.equal(a.id, 'scene-3');
    assert.equal(json(out).scenes[2]?.id, 'scene-3');
    loads(out);
    const s = addShotEdits(out, wide);
    const withShots = apply(s.edits, out);
    assert.deepEqual(
      (json(withShots).scenes[0]?.shots as { id: string }[]).map((x) => x.id),
      ['shot-1', 'shot-2'],
    );
    loads(withShots);
    const after = addShotEdits(TEXT, shot(0, 'a'));
    assert.deepEqual(
      (json(apply(after.edits)).scenes[1]?.shots as { id: string }[]).map((x) => x.id),
      ['a', 'shot-4', 'b', 'c'],
    );
    const empty = apply(
      addSceneEdits('{ "version": 2, "title": "T", "scenes": [] }').edits,
      '{ "version": 2, "title": "T", "scenes": [] }',
    );
    loads(empty);
  });

  it('duplicates under a new id right after the original, and deletes', () => {
    const d = duplicateEdits(TEXT, wide);
    const out = apply(d.edits);
    assert.equal(d.id, 'wide-copy');
    assert.deepEqual(
      json(out).scenes.map((s) => s.id),
      ['wide', 'wide-copy', 'boats'],
    );
    assert.equal(json(out).scenes[1]?.title, 'Wide (copy)');
    loads(out);
    const again = duplicateEdits(out, wide);
    assert.equal(again.id, 'wide-copy-2');
    const del = apply(deleteEdits(TEXT, shot(1, 'b')));
    assert.deepEqual(
      (json(del).scenes[1]?.shots as { id: string }[]).map((x) => x.id),
      ['a', 'c'],
    );
    loads(del);
    const one =
      '{ "version": 2, "title": "T", "scenes": [ { "id": "s", "title": "S", "prompt": "p", "shots": [ { "id": "x" } ] } ] }';
    assert.throws(() => deleteEdits(one, { scene: 0, sceneId: 's', shot: 0, shotId: 'x' }), /only shot/);
  });

  it('sets start and end keyframes; version 1 takes a start keyframe only', () => {
    const out = apply(setKeyframeEdits(TEXT, shot(2, 'c'), 'start', 'keyframes/c.png'));
    assert.deepEqual((json(out).scenes[1]?.shots as Record<string, unknown>[])[2]?.keyframes, {
      start: 'keyframes/c.png',
    });
    const both = apply(setKeyframeEdits(out, shot(2, 'c'), 'end', 'keyframes/d.png'), out);
    assert.deepEqual((json(both).scenes[1]?.shots as Record<string, unknown>[])[2]?.keyframes, {
      start: 'keyframes/c.png',
      end: 'keyframes/d.png',
    });
    assert.throws(() => setKeyframeEdits(TEXT, shot(2, 'c'), 'end', 'x.png'), /start keyframe/);
    const v1 = '{ "version": 1, "title": "T", "scenes": [ { "id": "s", "title": "S", "prompt": "p" } ] }';
    assert.ok(
      apply(setKeyframeEdits(v1, { scene: 0, sceneId: 's' }, 'start', 'k.png'), v1).includes('"keyframe": "k.png"'),
    );
    assert.throws(() => setKeyframeEdits(v1, { scene: 0, sceneId: 's' }, 'end', 'k.png'), /version 2/);
  });
});

describe('keyframes dropped on the timeline editor', () => {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  let dir: string;
  let timeline: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stv-drop-'));
    mkdirSync(path.join(dir, 'project', 'art'), { recursive: true });
    timeline = path.join(dir, 'project', 'a.timeline.json');
    writeFileSync(timeline, '{}');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("uses an image inside the timeline's folder where it is", async () => {
    writeFileSync(path.join(dir, 'project', 'art', 'sky.png'), png);
    assert.deepEqual(await importKeyframeFile(timeline, path.join(dir, 'project', 'art', 'sky.png')), {
      rel: 'art/sky.png',
      copied: false,
    });
  });

  it('copies one from outside into keyframes/, reuses the same copy and never overwrites another file', async () => {
    const outside = path.join(dir, 'sky.png');
    writeFileSync(outside, png);
    assert.deepEqual(await importKeyframeFile(timeline, outside), { rel: 'keyframes/sky.png', copied: true });
    assert.deepEqual(await importKeyframeFile(timeline, outside), { rel: 'keyframes/sky.png', copied: false });
    const other = Buffer.concat([png, Buffer.from([0])]);
    writeFileSync(outside, other);
    assert.deepEqual(await importKeyframeFile(timeline, outside), { rel: 'keyframes/sky-2.png', copied: true });
    assert.deepEqual(
      readFileSync(path.join(dir, 'project', 'keyframes', 'sky.png')),
      png,
      'the first copy is untouched',
    );
    assert.deepEqual(await importKeyframeBytes(timeline, '../../evil/sky.png', png), {
      rel: 'keyframes/sky.png',
      copied: false,
    });
  });

  it('refuses what is not an image, whatever its name', async () => {
    const fake = path.join(dir, 'fake.png');
    writeFileSync(fake, 'not an image');
    await assert.rejects(importKeyframeFile(timeline, fake), /not a PNG, JPEG or WebP/);
    await assert.rejects(importKeyframeBytes(timeline, 'x.txt', png), /not a PNG, JPEG or WebP/);
    await assert.rejects(importKeyframeFile(timeline, dir), /not a file/);
  });
});
