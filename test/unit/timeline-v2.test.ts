import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RenderRequest, RenderResult } from '../../src/core/providers/types';
import { saveArtifact } from '../../src/core/render/artifacts';
import { listRenders } from '../../src/core/render/history';
import { cropFraction, imageSizeFromHeader, readImageSize } from '../../src/core/timeline/imageSize';
import { loadTimelineFile, parseTimeline, type TimelineProblem } from '../../src/core/timeline/load';
import { migrateToV2 } from '../../src/core/timeline/migrate';
import { resolveScenes } from '../../src/core/timeline/resolve';
import { upgradeTimelineFile, upgradeTimelineText } from '../../src/core/timeline/upgrade';
import { repoRoot } from '../helpers/paths';
import { pngBytes } from '../helpers/png';

describe('timeline version 2', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stv-v2-'));
    file = path.join(dir, 'v2.timeline.json');
    mkdirSync(path.join(dir, 'keyframes'));
    writeFileSync(path.join(dir, 'keyframes/portrait.png'), pngBytes(576, 1024));
    writeFileSync(path.join(dir, 'keyframes/land.png'), pngBytes(640, 352));
    writeFileSync(path.join(dir, 'keyframes/square.png'), pngBytes(512, 512));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const parse = (v: unknown) => parseTimeline(JSON.stringify(v, null, 2), { timelineFile: file });
  const codes = (r: ReturnType<typeof parse>): string[] =>
    (r.ok ? r.warnings : r.problems).map((p: TimelineProblem) => p.code);

  it('reads PNG sizes from the header and measures the crop', () => {
    assert.deepEqual(readImageSize(path.join(dir, 'keyframes/portrait.png')), { width: 576, height: 1024 });
    assert.equal(readImageSize(path.join(dir, 'nope.png')), undefined);
    // A JPEG: SOI, an APP0 segment, then SOF0 with height 300 and width 200.
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x01, 0x2c, 0, 0xc8, 3, 0, 0, 0,
    ]);
    assert.deepEqual(
      imageSizeFromHeader((pos, len) => jpeg.subarray(pos, pos + len)),
      { width: 200, height: 300 },
    );
    assert.ok(cropFraction({ width: 576, height: 1024 }, { width: 1280, height: 704 }) > 0.6);
    assert.equal(cropFraction({ width: 1280, height: 704 }, { width: 640, height: 352 }), 0);
  });

  it('resolves one clip per shot, each inheriting from its scene and the timeline', () => {
    const r = parse({
      version: 2,
      title: 't',
      defaults: {
        width: 640,
        height: 352,
        fps: 16,
        numFrames: 33,
        seedPolicy: 'increment',
        seed: 10,
        negativePrompt: 'blurry',
      },
      scenes: [
        { id: 'one', title: 'One', prompt: 'single', keyframes: { start: 'keyframes/land.png' } },
        {
          id: 'two',
          title: 'Two',
          prompt: 'shared',
          negativePrompt: 'dark',
          keyframes: { start: 'keyframes/land.png' },
          overrides: { fps: 8 },
          shots: [
            { id: 'a', prompt: 'wide', seconds: 2, transition: 'Cut' },
            {
              id: 'b',
              keyframes: { start: 'keyframes/land.png', end: 'keyframes/square.png' },
              negativePrompt: 'fog',
              seed: 5,
              overrides: { numFrames: 9 },
            },
          ],
        },
      ],
    });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const clips = resolveScenes(r.timeline, file);
    assert.deepEqual(
      clips.map((c) => [c.key, c.shotId, c.prompt, c.negativePrompt, c.fps, c.numFrames, c.seed]),
      [
        ['one', undefined, 'single', 'blurry', 16, 33, 10],
        ['two/a', 'a', 'wide', 'dark', 8, 17, 11],
        ['two/b', 'b', 'shared', 'fog', 8, 9, 5],
      ],
    );
    assert.equal(clips[1]?.transition, 'Cut');
    assert.equal(clips[2]?.endKeyframePath, path.join(dir, 'keyframes/square.png'));
    assert.equal(clips[1]?.endKeyframePath, undefined);
  });

  it('loads a version 1 file unchanged and resolves it exactly as before (migrated in memory)', async () => {
    const sample = path.join(repoRoot, 'test/fixtures/timeline/windows-authored/win.timeline.json');
    const r = await loadTimelineFile(sample);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.equal(r.timeline.version, 1);
    const migrated = migrateToV2(r.timeline);
    assert.equal(migrated.version, 2);
    for (const [i, s] of r.timeline.scenes.entries()) {
      const m = migrated.scenes[i];
      assert.equal(m?.keyframes?.start, s.keyframe);
      assert.equal(m?.keyframe, undefined);
      const { keyframe: _k, ...rest } = s;
      assert.deepEqual({ ...m, keyframes: undefined }, { ...rest, keyframes: undefined });
    }
    const clips = resolveScenes(r.timeline, sample);
    assert.ok(clips.every((c) => c.shotId === undefined && c.key === c.id));
  });

  it('names version 2 fields in a version 1 file and version 1 fields in a version 2 file', () => {
    const v1 = parse({
      version: 1,
      title: 't',
      scenes: [{ id: 'a', title: 'A', prompt: 'p', shots: [{ id: 's' }], overrides: { size: 'auto' } }],
    });
    assert.deepEqual(codes(v1).filter((c) => c === 'needs-version-2').length, 2);
    assert.ok(!v1.ok && v1.problems.some((p) => /version 2 field.*Upgrade Timeline to v2/.test(p.message)));
    const v2 = parse({
      version: 2,
      title: 't',
      scenes: [{ id: 'a', title: 'A', prompt: 'p', keyframe: 'keyframes/land.png' }],
    });
    assert.deepEqual(codes(v2), ['keyframe-v1']);
  });

  it('refuses duplicate shot ids, clips without a prompt, missing bookends and unknown workflows', () => {
    const r = parse({
      version: 2,
      title: 't',
      scenes: [
        {
          id: 'a',
          title: 'A',
          shots: [
            { id: 'x', prompt: 'p' },
            { id: 'X', prompt: 'q', keyframes: { start: 'keyframes/land.png', end: 'keyframes/gone.png' } },
            { id: 'y', overrides: { workflow: 'nope' } },
          ],
        },
      ],
    });
    assert.deepEqual(codes(r).sort(), ['duplicate-shot-id', 'keyframe-missing', 'missing-field', 'unknown-workflow']);
    assert.ok(
      !r.ok &&
        r.problems.some(
          (p) => p.code === 'keyframe-missing' && /end keyframe "keyframes\/gone.png" of shot "X"/.test(p.message),
        ),
    );
  });

  it('"auto" picks portrait for a portrait keyframe and square for a square one, at the same area', () => {
    const r = parse({
      version: 2,
      title: 't',
      defaults: { width: 640, height: 352, size: 'auto' },
      scenes: [
        { id: 'p', title: 'P', prompt: 'p', keyframes: { start: 'keyframes/portrait.png' } },
        { id: 'q', title: 'Q', prompt: 'q', keyframes: { start: 'keyframes/square.png' } },
        {
          id: 'l',
          title: 'L',
          prompt: 'l',
          keyframes: { start: 'keyframes/portrait.png' },
          overrides: { width: 640, height: 352 },
        },
      ],
    });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const clips = resolveScenes(r.timeline, file);
    assert.deepEqual(
      clips.map((c) => [c.width, c.height, c.autoSize ?? false]),
      [
        [352, 640, true],
        [480, 480, true],
        [640, 352, false],
      ],
    );
    // The third crops the portrait keyframe to landscape: a warning that names the better size.
    const w = r.warnings.filter((p) => p.code === 'keyframe-aspect');
    assert.equal(w.length, 1);
    assert.match(w[0]?.message ?? '', /576x1024; rendering it at 640x352 crops 69% of it away\. Render it at 352x640/);
    assert.deepEqual(w[0]?.path, ['scenes', 2, 'keyframes', 'start']);
  });

  it('warns about a portrait keyframe in a version 1 landscape timeline, naming 704x1280', () => {
    const r = parse({
      version: 1,
      title: 't',
      scenes: [{ id: 'a', title: 'A', prompt: 'p', keyframe: 'keyframes/portrait.png' }],
    });
    assert.ok(r.ok);
    assert.match(
      r.warnings.find((p) => p.code === 'keyframe-aspect')?.message ?? '',
      /at 1280x704 .* Render it at 704x1280/,
    );
  });

  it('upgrades a version 1 file with minimal edits that keep its formatting, and refuses to break it', async () => {
    const text = [
      '{',
      '  "$schema": "https://scene-to-video.invalid/schemas/timeline-v1.json",',
      '  "version":   1,',
      '  "title": "Keep   my spacing",',
      '  "scenes": [',
      '    { "id": "a", "title": "A", "prompt": "p",',
      '      "keyframe": "keyframes\\\\land.png", "seed": 3 },',
      '    {"id":"b","title":"B","prompt":"q"}',
      '  ]',
      '}',
      '',
    ].join('\r\n');
    const up = upgradeTimelineText(text);
    assert.ok(up.changed);
    assert.equal(
      up.text,
      text
        .replace('timeline-v1.json', 'timeline-v2.json')
        .replace('"version":   1', '"version":   2')
        .replace('"keyframe": "keyframes\\\\land.png"', '"keyframes": { "start": "keyframes\\\\land.png" }'),
    );
    assert.deepEqual(up.changes, [
      '"version": 1 → 2',
      '$schema → the version 2 schema',
      'scenes[0].keyframe → keyframes.start',
    ]);
    assert.equal(upgradeTimelineText(up.text).changed, false);

    const f = path.join(dir, 'old.timeline.json');
    writeFileSync(f, text);
    const res = await upgradeTimelineFile(f);
    assert.equal(readFileSync(f, 'utf8'), up.text);
    assert.ok(res.changed);
    const loaded = await loadTimelineFile(f);
    assert.ok(
      loaded.ok &&
        loaded.timeline.version === 2 &&
        loaded.timeline.scenes[0]?.keyframes?.start === 'keyframes\\land.png',
    );

    const broken = path.join(dir, 'broken.timeline.json');
    const brokenText =
      '{ "version": 1, "title": "t", "scenes": [ { "id": "a", "title": "A", "prompt": "p", "keyframe": "keyframes/none.png" } ] }';
    writeFileSync(broken, brokenText);
    await assert.rejects(upgradeTimelineFile(broken), /would not load .*none\.png.*was not changed/);
    assert.equal(readFileSync(broken, 'utf8'), brokenText);
  });

  it("saves a shot's render under scene/shot with both ids in the sidecar, and lists it beside version 1 renders", async () => {
    const out = path.join(dir, 'renders');
    const tiny = path.join(repoRoot, 'test/fixtures/video/tiny.mp4');
    const req = (shotId?: string): RenderRequest => ({
      sceneId: 'two',
      ...(shotId ? { shotId } : {}),
      prompt: 'p',
      width: 256,
      height: 256,
      numFrames: 9,
      fps: 8,
      seed: 1,
    });
    const result: RenderResult = {
      videoPath: tiny,
      videoIsTemporary: false,
      seed: 1,
      width: 256,
      height: 256,
      numFrames: 9,
      fps: 8,
      warnings: [],
      timings: { totalMs: 1 },
      server: {},
    };
    const v1 = await saveArtifact({
      outputRoot: out,
      timelineFile: file,
      providerId: 'fastvideo-local',
      request: req(),
      result,
      createdAt: new Date('2026-01-01T00:00:00Z'),
    });
    const shot = await saveArtifact({
      outputRoot: out,
      timelineFile: file,
      providerId: 'fastvideo-local',
      request: req('b'),
      result,
      createdAt: new Date('2026-01-02T00:00:00Z'),
    });
    assert.equal(path.relative(out, v1.videoPath), path.join('two', 'two_20260101-000000_s1.mp4'));
    assert.equal(path.relative(out, shot.videoPath), path.join('two', 'b', 'two_b_20260102-000000_s1.mp4'));
    const sidecar = JSON.parse(readFileSync(shot.sidecarPath, 'utf8')) as {
      sceneId: string;
      shotId: string;
      request: { shotId: string };
    };
    assert.deepEqual([sidecar.sceneId, sidecar.shotId, sidecar.request.shotId], ['two', 'b', 'b']);
    const listed = await listRenders(out, 'two');
    assert.deepEqual(
      listed.map((a) => [a.sceneId, a.shotId]),
      [
        ['two', 'b'],
        ['two', undefined],
      ],
    );
  });
});
