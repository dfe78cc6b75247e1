import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli';
import { importLocalGenSettings } from '../../src/core/settings/localGenSettings';
import { importGemDirect } from '../../src/core/timeline/import/gemdirect';
import { decodeImage } from '../../src/core/timeline/import/images';
import { isWindowsAbsolute, locateKeyframe, portableBasename } from '../../src/core/timeline/import/locate';
import { loadTimelineFile } from '../../src/core/timeline/load';
import { resolveScenes } from '../../src/core/timeline/resolve';
import type { Timeline } from '../../src/core/timeline/schema';
import { repoRoot, venvPython } from '../helpers/paths';
import { probeMp4 } from '../helpers/probe';
import { captureIo } from '../helpers/cliIo';

const FIX = path.join(repoRoot, 'test/fixtures/gemdirect');

const io = captureIo;

/** Mean RGB of the first and last frame of an MP4, decoded by the adapter venv's ffmpeg. */
function endFrameColours(file: string): { first: number[]; last: number[] } {
  const script = [
    'import json, sys, imageio_ffmpeg, numpy as np',
    'r = imageio_ffmpeg.read_frames(sys.argv[1]); m = next(r); w, h = m["size"]',
    'fs = [np.frombuffer(f, np.uint8).reshape(h, w, 3).reshape(-1, 3).mean(axis=0).tolist() for f in r]',
    'print(json.dumps({"first": fs[0], "last": fs[-1]}))',
  ].join('\n');
  return JSON.parse(execFileSync(venvPython, ['-c', script, file], { encoding: 'utf8' })) as {
    first: number[];
    last: number[];
  };
}

const near = (a: number[], b: number[], tol = 14) => a.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= tol);

describe('gemDirect1 import into timeline v2', function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'stv-import2-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads Windows drive and UNC paths on every OS, and finds the files by name under the story file', async () => {
    assert.ok(
      isWindowsAbsolute('C:\\a\\b.png') &&
        isWindowsAbsolute('c:/a/b.png') &&
        isWindowsAbsolute('\\\\nas\\share\\b.png'),
    );
    assert.ok(!isWindowsAbsolute('keyframes\\b.png') && !isWindowsAbsolute('/home/a/b.png'));
    assert.equal(portableBasename('C:\\Users\\ana\\keyframes\\scene-001.png'), 'scene-001.png');
    assert.equal(portableBasename('\\\\nas\\share\\x.jpg'), 'x.jpg');
    assert.equal(portableBasename('a/b/c.webp'), 'c.webp');
    const story = path.join(FIX, 'windows-story/story.json');
    const found = await locateKeyframe(
      'C:\\Users\\ana\\Documents\\gemDirect\\exports\\keyframes\\scene-001.png',
      story,
    );
    assert.equal(found.file, path.join(FIX, 'windows-story/keyframes/scene-001.png'));
    assert.match(found.fallback ?? '', /found by its file name at/);
    const missing = await locateKeyframe('D:/renders/nowhere/missing.png', story);
    assert.equal(missing.file, undefined);
    assert.ok(missing.tried.includes(path.join(FIX, 'windows-story/keyframes/missing.png')), missing.tried.join());
  });

  it('imports a Windows story file from the command line: keyframes found, fallbacks and leftovers reported', async () => {
    const t = io();
    const code = await main(['import', path.join(FIX, 'windows-story/story.json'), '--out', dir], t.io);
    assert.equal(code, EXIT.ok, t.err());
    const target = path.join(dir, 'story.timeline.json');
    assert.ok(existsSync(target));
    assert.deepEqual(readdirSync(path.join(dir, 'keyframes')).sort(), [
      'scene-001.png',
      'scene-002.jpg',
      'scene-003.png',
    ]);
    const out = t.out();
    assert.match(out, /Imported 4 scene\(s\), 4 clip\(s\), 3 keyframe\(s\) into /);
    // The timeline is named so that it can be found: relative to the current folder, or in full
    // when it lies outside it (a path that climbs out, ../../../tmp/…, is hard to read).
    const named = /into (.+)\.\n/.exec(out)?.[1] ?? '';
    assert.equal(path.resolve(named), target);
    assert.doesNotMatch(named, /^\.\./);
    assert.match(
      out,
      /warning: Scene "scene-001": keyframe C:\\Users\\ana.*scene-001\.png is a Windows path that does not exist on this machine; it was found by its file name at .*keyframes.scene-001\.png/,
    );
    assert.match(
      out,
      /warning: Scene "scene-002": keyframe \\\\nas\\share.*found by its file name at .*shots.scene-002\.jpg/,
    );
    assert.match(
      out,
      /warning: Scene "scene-004": keyframe D:\/renders\/nowhere\/missing\.png was not found \(looked for /,
    );
    assert.match(out, / {2}- genre\n/);
    assert.match(out, / {2}- scenes\[0\] \("scene-001"\)\.characters\n/);
    const loaded = await loadTimelineFile(target);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
    // The portrait keyframe renders portrait (size "auto"), the square one square, the landscape one landscape.
    const clips = resolveScenes(loaded.timeline, target);
    assert.deepEqual(
      clips.map((c) => `${c.width}x${c.height}`),
      ['704x1280', '1280x704', '944x944', '1280x704'],
    );
    assert.equal(clips[0]?.numFrames, 81);
    // A second import never replaces the first.
    const again = io();
    assert.equal(
      await main(['import', path.join(FIX, 'windows-story/story.json'), '--out', dir], again.io),
      EXIT.ok,
      again.err(),
    );
    assert.ok(existsSync(path.join(dir, 'story-1.timeline.json')));
    assert.deepEqual(JSON.parse(readFileSync(target, 'utf8')), loaded.timeline);
  });

  it('imports a portrait project: shots, enhancers, transitions, every keyframe shape, workflows, and lists the rest', async () => {
    const data = JSON.parse(readFileSync(path.join(FIX, 'portrait-project.json'), 'utf8')) as Record<string, unknown>;
    const target = path.join(dir, 'tall.timeline.json');
    const r = await importGemDirect(data, {
      sourceFile: path.join(FIX, 'portrait-project.json'),
      targetTimelineFile: target,
    });
    writeFileSync(target, JSON.stringify(r.timeline, null, 2));
    const t: Timeline = r.timeline;
    assert.deepEqual(t.defaults, {
      width: 704,
      height: 1280,
      fps: 16,
      numFrames: 81,
      seedPolicy: 'fixed',
      seed: 9,
      size: 'auto',
      workflow: 'wan-portrait',
    });
    const [a, b, c] = t.scenes;
    assert.deepEqual(
      a?.shots?.map((s) => [s.id, s.title, s.prompt, s.transition]),
      [
        ['a1', 'Wide', 'A rainy neon street, vertical frame, wide. framing: wide; movement: slow dolly', undefined],
        ['a2', undefined, 'Mira pedals past the camera. movement: tracking', 'Cut'],
        ['a3', 'Close', 'Close on her face', 'Dissolve'],
      ],
    );
    assert.equal(a?.prompt, 'Mira rides through the rain.');
    assert.equal(a?.negativePrompt, 'blurry, landscape framing');
    assert.equal(a?.seconds, 6);
    // generatedImages {start, end} for the scene; the shot's own keyframeStart/keyframeEnd (a data: URL) for a3;
    // generatedShotImages {current, versions, selectedVersionIndex} for a2.
    assert.deepEqual(a?.keyframes, { start: 'keyframes/scene-a.png', end: 'keyframes/scene-a-end.png' });
    assert.deepEqual(a?.shots?.[2]?.keyframes, {
      start: 'keyframes/scene-a-a3.png',
      end: 'keyframes/scene-a-a3-end.png',
    });
    assert.deepEqual(a?.shots?.[1]?.keyframes, { start: 'keyframes/scene-a-a2.png' });
    assert.deepEqual(b?.keyframes, { start: 'keyframes/scene-b.png', end: 'keyframes/scene-b-end.png' }); // keyframeStart/keyframeEnd
    // {current, versions, selectedVersionIndex: 1}: the selected version, byte for byte.
    const versions = ((data.generatedImages as Record<string, { versions: string[] }>)['scene-c']?.versions ??
      []) as string[];
    assert.deepEqual(readFileSync(path.join(dir, c?.keyframes?.start ?? 'x')), decodeImage(versions[1] ?? '')?.bytes);
    // Workflows: the legacy top-level one, the video profile, the bookend one; never the text-to-image one.
    assert.deepEqual(Object.keys(t.workflows ?? {}).sort(), ['legacy', 'wan-bookend', 'wan-portrait']);
    assert.equal(t.workflows?.['wan-bookend']?.bookends, true);
    assert.deepEqual(t.workflows?.['wan-bookend']?.mapping, {
      '5:text': 'prompt',
      '4:image': 'keyframe_image',
      '13:image': 'end_image',
    });
    assert.equal(r.workflowsWritten.length, 3);
    const n = r.notCarried.join('\n');
    for (const expected of [
      'directorsVision',
      'continuityData',
      'storyBible.characters',
      'storyBible.logline (the title names the timeline)',
      'scenes[0] ("scene-a").timeline.shots[1].duration',
      'scenes[0] ("scene-a").timeline.shots[0].description (the visualPrompt became the shot\'s prompt)',
      'scenes[0] ("scene-a").temporalContext.startMoment',
      'scenes[0] ("scene-a").timeline.transitions[2] ("Fade out": no shot follows it)',
      'scenes[0] ("scene-a").timeline.shotEnhancers["zz"] (no shot has that id)',
      'generatedImages["scene-c"]: 2 other keyframe version(s) (only the selected one was imported)',
      'generatedImages["orphan"] (no scene has that id)',
    ])
      assert.ok(r.notCarried.includes(expected), `${expected} not in:\n${n}`);
    assert.match(n, /localGenSettings: sceneToVideo\.videoProvider, comfyUI\.url \(editor settings/);
    assert.match(n, /"flux-keyframes" \(Flux keyframes\) has no video output \(its graph ends in SaveImage\)/);
    assert.match(n, /Not imported .*imageProvider/);

    const loaded = await loadTimelineFile(target);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
    const clips = resolveScenes(loaded.timeline, target);
    assert.deepEqual(
      clips.map((x) => [x.key, x.workflow?.name, x.width, x.height, x.endKeyframePath ? 'end' : '-']),
      [
        ['scene-a/a1', 'wan-bookend', 704, 1280, 'end'],
        ['scene-a/a2', 'wan-portrait', 704, 1280, '-'],
        ['scene-a/a3', 'wan-bookend', 704, 1280, 'end'],
        ['scene-b/b1', 'wan-bookend', 704, 1280, 'end'],
        ['scene-c', 'wan-portrait', 704, 1280, '-'],
      ],
    );
  });

  it('renders an imported bookend shot with the preview backend: portrait, from the start keyframe to the end one', async () => {
    const imp = io();
    assert.equal(
      await main(['import', path.join(FIX, 'portrait-project.json'), '--out', dir], imp.io),
      EXIT.ok,
      imp.err(),
    );
    const target = path.join(dir, 'portrait-project.timeline.json');
    // Smaller and shorter than the project's 704x1280 x 81, to keep the test quick on two cores.
    const text = readFileSync(target, 'utf8')
      .replace('"width": 704', '"width": 288')
      .replace('"height": 1280', '"height": 512')
      .replace('"numFrames": 81', '"numFrames": 17');
    writeFileSync(target, text);
    const t = io();
    const code = await main(
      ['render', target, '--scene', 'scene-b/b1', '--provider', 'fastvideo-local', '--json'],
      t.io,
    );
    assert.equal(code, EXIT.ok, t.err());
    const summary = JSON.parse(t.out().trim().split('\n').pop() as string) as { succeeded: number; videos: string[] };
    assert.equal(summary.succeeded, 1);
    const video = summary.videos[0] as string;
    assert.equal(path.relative(path.join(dir, 'renders'), path.dirname(video)), path.join('scene-b', 'b1'));
    const p = probeMp4(video);
    assert.deepEqual([p.codec, p.size, p.frames], ['h264', [288, 512], 17]);
    const c = endFrameColours(video);
    assert.ok(near(c.first, [200, 40, 40]), `first frame ${c.first.join()}`); // scene-b's red keyframeStart
    assert.ok(near(c.last, [40, 40, 200]), `last frame ${c.last.join()}`); // its blue keyframeEnd
    const sidecar = JSON.parse(readFileSync(video.replace(/\.mp4$/, '.json'), 'utf8')) as {
      sceneId: string;
      shotId: string;
      request: { endKeyframePath: string };
    };
    assert.deepEqual([sidecar.sceneId, sidecar.shotId], ['scene-b', 'b1']);
    assert.match(sidecar.request.endKeyframePath, /scene-b-end\.png$/);
  });

  it('says "import it" when validate is given a gemDirect1 file, and prints help with exit 0', async () => {
    for (const f of ['portrait-project.json', 'windows-story/story.json', 'scene-forest.json']) {
      const t = io();
      assert.equal(await main(['validate', path.join(FIX, f)], t.io), EXIT.badInput);
      assert.match(
        t.err(),
        /is a gemDirect1 (project export|story file|scene file), not a Scene to Video timeline\. Import it with:\n {2}scene-to-video import /,
      );
      assert.doesNotMatch(t.err(), /Unknown field/);
    }
    for (const flag of ['--help', '-h']) {
      const t = io();
      assert.equal(await main([flag], t.io), EXIT.ok);
      assert.match(t.out(), /^Usage:/);
      assert.match(t.out(), /scene-to-video import <gemDirect1\.json> \[--out DIR\]/);
      assert.equal(t.err(), '');
      assert.match(
        t.out().trimEnd().split('\n').at(-1) ?? '',
        /^ {2}-h, --help +print this and exit$/,
        'the help flag closes the usage',
      );
    }
  });
});

describe('localGenSettings.json, every profile', () => {
  it('keeps the legacy top-level workflow, maps end_image, refuses image-only profiles, lists unread keys', () => {
    const wf = (types: string[]) =>
      JSON.stringify(
        Object.fromEntries(types.map((t, i) => [String(i + 1), { class_type: t, inputs: { image: 'x.png' } }])),
      );
    const imp = importLocalGenSettings({
      comfyUIUrl: 'http://127.0.0.1:8188',
      workflowJson: wf(['LoadImage', 'WanFirstLastFrameToVideo', 'SaveVideo']),
      mapping: { '1:image': 'start_image', '2:image': 'end_image', '9:x': 'none' },
      workflowProfiles: {
        t2i: { id: 't2i', label: 'Keyframes', workflowJson: wf(['CLIPTextEncode', 'SaveImage']), mapping: {} },
        i2v: {
          id: 'i2v',
          label: 'I2V',
          workflowJson: wf(['LoadImage', 'VHS_VideoCombine']),
          mapping: { '1:image': 'keyframe_image' },
        },
      },
      llmProvider: 'x',
      theme: 'dark',
    });
    assert.deepEqual(
      imp.workflows.map((w) => [w.id, w.bookends ?? false]),
      [
        ['i2v', false],
        ['legacy', true],
      ],
    );
    assert.deepEqual(imp.workflows.find((w) => w.id === 'legacy')?.mapping, {
      '1:image': 'keyframe_image',
      '2:image': 'end_image',
    });
    // The active one is the first video profile without bookends (no videoWorkflowProfile).
    assert.equal(imp.workflow?.id, 'i2v');
    const notes = imp.notes.join('\n');
    assert.match(notes, /"t2i" \(Keyframes\) has no video output \(its graph ends in SaveImage\)/);
    assert.match(notes, /Not imported .*: llmProvider, theme\./);
  });
});
