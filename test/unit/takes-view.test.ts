/**
 * The panel's takes view without VS Code (issue 19): what each clip's strip receives, the single
 * edit that records a choice, and the text edits behind "Choose" and the continuity box
 * (chooseTakeInText / setContinuityInText), on real files: two takes of a real MP4 with sidecars,
 * and the adapter environment's ffmpeg extracting the continuity keyframe.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyEdits } from 'jsonc-parser';
import { locateFfmpeg, type Ffmpeg } from '../../src/core/ffmpeg/ffmpeg';
import { chooseTakeInText, setContinuityInText, type EditOptions } from '../../src/core/takes/edit';
import { timelineTakes } from '../../src/core/takes/takes';
import { parseTimeline } from '../../src/core/timeline/load';
import { PanelClipTakesSchema } from '../../src/protocol/messages';
import { minimalEdit } from '../../src/core/timeline/minimalEdit';
import { TAKES_SHOWN, clipTakesState } from '../../src/vscode/takesModel';
import { repoRoot, venvPython } from '../helpers/paths';

// A hand-written layout (4 spaces, one-line scenes): the edits must keep it.
const TIMELINE = `{
    "version": 2,
    "title": "Takes view",
    "defaults": { "width": 640, "height": 352, "fps": 16, "numFrames": 33 },
    "scenes": [
        { "id": "harbour", "title": "Harbour", "prompt": "a harbour", "keyframes": { "start": "keyframes/lighthouse.png" } },
        { "id": "forest", "title": "Forest", "prompt": "a forest" }
    ]
}
`;

/** A finished render as the render queue leaves it: the MP4 and its sidecar. */
function fakeTake(
  root: string,
  scene: string,
  stamp: string,
  seed: number,
  warnings: { code: string; message: string }[] = [],
  shot?: string,
): string {
  const dir = shot ? path.join(root, scene, shot) : path.join(root, scene);
  mkdirSync(dir, { recursive: true });
  const video = path.join(dir, `${scene}_${stamp}_s${seed}.mp4`);
  copyFileSync(path.join(repoRoot, 'test/fixtures/video/tiny.mp4'), video);
  writeFileSync(
    video.replace(/\.mp4$/, '.json'),
    JSON.stringify({
      kind: 'scene-to-video-render',
      videoPath: video,
      sidecarPath: video.replace(/\.mp4$/, '.json'),
      sceneId: scene,
      ...(shot ? { shotId: shot } : {}),
      providerId: 'fastvideo-local',
      seed,
      // The stamp's date and time (YYYYMMDD-HHMMSS), as the render queue names its files.
      createdAt: stamp.replace(/^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)$/, '$1-$2-$3T$4:$5:$6Z'),
      width: 640,
      height: 352,
      numFrames: 33,
      fps: 16,
      model: 'preview',
      backend: 'preview',
      warnings,
      timings: { totalMs: 1500 },
      prompt: 'p',
    }),
  );
  return video;
}

describe('takes view model and its edits (issue 19 panel)', function () {
  this.timeout(60_000);
  let ws: string;
  let file: string;
  let ff: Ffmpeg;
  let opts: EditOptions;
  let older: string;
  let newer: string;

  before(async () => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'stv-takes-view-'));
    mkdirSync(path.join(ws, 'keyframes'));
    copyFileSync(
      path.join(repoRoot, 'media/sample/keyframes/lighthouse.png'),
      path.join(ws, 'keyframes/lighthouse.png'),
    );
    file = path.join(ws, 'view.timeline.json');
    writeFileSync(file, TIMELINE);
    const root = path.join(ws, 'renders');
    older = fakeTake(root, 'harbour', '20261201-030000', 1);
    newer = fakeTake(root, 'harbour', '20261202-030000', 2);
    fakeTake(root, 'forest', '20261201-030000', 3, [{ code: 'SIZE_CHANGED', message: 'Rendered 640x352.' }]);
    ff = await locateFfmpeg({ env: {}, pythons: [venvPython] });
    opts = { outputRoot: root, ffmpeg: () => Promise.resolve(ff) };
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  const load = (text: string) => {
    const r = parseTimeline(text, { timelineFile: file });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    return r.timeline;
  };

  it('gives each clip its takes newest first with seed, model, provider and render time; only later clips can continue', async () => {
    const clips = await timelineTakes(load(TIMELINE), file, opts);
    const states = clips.map((c, i) => clipTakesState(c, i, (p) => `https://res${p}`));
    for (const s of states) assert.ok(PanelClipTakesSchema.safeParse(s).success, 'valid for the webview');
    const [harbour, forest] = states;
    assert.deepEqual(
      harbour?.takes.map((t) => [t.rel, t.seed, t.providerId, t.model, t.renderMs, t.videoUri]),
      [
        [path.relative(ws, newer), 2, 'fastvideo-local', 'preview', 1500, `https://res${newer}`],
        [path.relative(ws, older), 1, 'fastvideo-local', 'preview', 1500, `https://res${older}`],
      ],
    );
    // What the card shows beside each take (the renders list it replaced showed the same).
    assert.deepEqual(
      [harbour?.takes[0]?.width, harbour?.takes[0]?.height, harbour?.takes[0]?.numFrames, harbour?.takes[0]?.fps],
      [640, 352, 33, 16],
    );
    assert.equal(harbour?.takes[0]?.warnings, undefined, 'no warnings, no list');
    assert.deepEqual(forest?.takes[0]?.warnings, [{ code: 'SIZE_CHANGED', message: 'Rendered 640x352.' }]);
    assert.equal(harbour?.chosen, path.relative(ws, newer), 'without a choice the newest counts');
    assert.equal(harbour?.chosenExplicitly, false);
    assert.deepEqual([harbour?.canContinue, forest?.canContinue, forest?.continuity], [false, true, false]);
  });

  it("lists takes from every provider's renders folder, and a scene's renders from before its shots under its first shot", async () => {
    const shots = `{ "version": 2, "title": "Shots", "defaults": { "width": 640, "height": 352, "fps": 16, "numFrames": 33 }, "scenes": [
      { "id": "quay", "title": "Quay", "prompt": "a quay", "shots": [ { "id": "a" }, { "id": "b" } ] } ] }`;
    const before = fakeTake(path.join(ws, 'renders'), 'quay', '20261201-030000', 4); // rendered as a one-shot scene
    const shotA = fakeTake(path.join(ws, 'comfy-renders'), 'quay', '20261202-030000', 5, [], 'a');
    const clips = await timelineTakes(load(shots), file, {
      outputRoot: path.join(ws, 'renders'),
      moreRoots: [path.join(ws, 'comfy-renders'), path.join(ws, 'renders')],
    });
    assert.deepEqual(
      clips.map((c) => [c.clip.key, c.takes.map((t) => t.path)]),
      [
        ['quay/a', [shotA, before]],
        ['quay/b', []],
      ],
    );
    const single = await timelineTakes(load(shots), file, { outputRoot: path.join(ws, 'renders') });
    assert.deepEqual(
      single[0]?.takes.map((t) => t.path),
      [before],
      'one folder: only its renders',
    );
  });

  it('shows a screenful of takes, plus the chosen one when it is older', async () => {
    const [c] = await timelineTakes(load(TIMELINE), file, opts);
    assert.ok(c);
    const many = Array.from({ length: TAKES_SHOWN + 3 }, (_, i) => ({ path: `/t/${i}.mp4`, rel: `${i}.mp4` }));
    const last = many[many.length - 1] as (typeof many)[number];
    const s = clipTakesState({ ...c, takes: many, chosen: last, chosenExplicitly: true }, 0, (p) => p);
    assert.equal(s.takes.length, TAKES_SHOWN + 1);
    assert.equal(s.takes.at(-1)?.rel, last.rel);
    assert.equal(s.takes.at(-1)?.seed, undefined, 'a take without a sidecar has no details');
  });

  it('records a choice as one minimal edit that keeps the layout, without writing the file', async () => {
    const r = await chooseTakeInText(file, TIMELINE, 'harbour', older, opts);
    assert.equal(
      readFileSync(file, 'utf8'),
      TIMELINE,
      'the panel applies the text as a WorkspaceEdit; nothing is written',
    );
    assert.equal(r.chosen, path.relative(ws, older));
    assert.ok(r.text.includes('        { "id": "forest", "title": "Forest", "prompt": "a forest" }\n'), r.text);
    assert.equal(load(r.text).scenes[0]?.take, path.relative(ws, older));
    const e = minimalEdit(TIMELINE, r.text);
    assert.equal(applyEdits(TIMELINE, [{ offset: e.start, length: e.end - e.start, content: e.text }]), r.text);
    assert.ok(e.start > TIMELINE.indexOf('"scenes"') && !e.text.includes('forest'), `only harbour changes: ${e.text}`);
    await assert.rejects(
      chooseTakeInText(file, TIMELINE, 'harbour', '/elsewhere/x.mp4', opts),
      /is not a take of "harbour"/,
    );
  });

  it('turns continuity on (the last frame of the previous chosen take becomes the start keyframe) and off', async () => {
    const chosen = (await chooseTakeInText(file, TIMELINE, 'harbour', older, opts)).text;
    const on = await setContinuityInText(file, chosen, 'forest', true, opts);
    const forest = load(on.text).scenes[1] as { keyframes?: { start?: string }; continuity?: { take?: string } };
    assert.equal(forest.continuity?.take, path.relative(ws, older));
    assert.match(forest.keyframes?.start ?? '', /^keyframes\/forest_start_from_harbour_.*_s1\.png$/);
    assert.ok(existsSync(path.join(ws, forest.keyframes?.start ?? '')), 'the frame was extracted');
    assert.deepEqual(
      on.linked.map((l) => l.key),
      ['forest'],
    );
    const off = await setContinuityInText(file, on.text, 'forest', false, opts);
    const after = load(off.text).scenes[1] as { keyframes?: { start?: string }; continuity?: unknown };
    assert.equal(after.continuity, undefined);
    assert.equal(after.keyframes?.start, forest.keyframes?.start, 'the keyframe it had stays');
    await assert.rejects(setContinuityInText(file, TIMELINE, 'harbour', true, opts), /first clip of the timeline/);
  });

  it('minimalEdit: applying it always gives the new text (random edits)', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let k = 0; k < 500; k++) {
      const a = Array.from({ length: rand(12) }, () => 'ab{}"'[rand(5)]).join('');
      const b = a.slice(0, rand(a.length + 1)) + 'xa'.slice(0, rand(3)) + a.slice(rand(a.length + 1));
      const e = minimalEdit(a, b);
      assert.equal(a.slice(0, e.start) + e.text + a.slice(e.end), b, JSON.stringify({ a, b, e }));
      assert.ok(e.start <= e.end);
    }
  });
});
